/**
 * Framework hop benchmark (issue 2): what does one connection between two operators cost?
 *
 * A chain of N operators is a source, N forwarding operators and a sink, so a message crosses N + 1
 * connections ("hops"). Each chain runs beside a bare RxJS chain with the same number of hops
 * (Subject -> subscribe -> next on the following Subject), measured in the same process, interleaved
 * repeat by repeat so both see the same machine noise.
 *
 * - Latency: one message in flight at a time. The source stamps performance.now() into the message;
 *   the sink takes the difference and only then lets the source emit the next one. Per-hop latency is
 *   that difference, less the cost of reading the clock, divided by the hops.
 * - Throughput: a count-bounded source pushes a fixed number of messages as fast as the graph takes
 *   them (default queues: capacity 1, downstream-affordable gating), timed around the whole app.run().
 *
 * Worker-thread rows (BlurOp on the main thread and on pools, a 720p hop across a thread) come from
 * bench/framework-threads.ts.
 *
 * Usage: node --import tsx bench/framework.bench.ts [--markdown] [--threads-only] [--quick]   (--markdown also prints
 * the tables as markdown for docs/benchmarks.md; --quick: fewer repeats and samples, to prove it runs end to end).
 * Raw results go to bench/results/framework.json.
 */
import { performance } from 'node:perf_hooks';
import { map, range, Subject } from 'rxjs';
import { z } from 'zod';
import { Application, defineOperator, NumberMessage, port, type OperatorContext } from '../framework/index.ts';
import { benchThreads, describeLoad, describeRepeats, threadTables } from './framework-threads.ts';
import { describeMachine, formatMarkdownTable, formatTable, median, ns, scaleSummary, si, summarize, writeMarkdown, writeResults, type Summary } from './lib/index.ts';

const QUICK = process.argv.includes('--quick');
const CHAINS = [1, 3, 10];
/** Measured repeats per chain and implementation, after one warm-up repeat that is thrown away. */
const REPEATS = QUICK ? 2 : 5;
const LATENCY_SAMPLES = QUICK ? 5_000 : 20_000; // per repeat
const THROUGHPUT_MESSAGES = QUICK ? 100_000 : 300_000; // per repeat

const GOAL_HOP_MEDIAN_NS = 1000;
const GOAL_RATIO_TO_RXJS = 5;
const GOAL_THROUGHPUT_3 = 1_000_000;
/** Repeats of the main / pool 1 / pool 2 / bare-ceiling BlurOp runs (each a process of its own, interleaved); the median is reported. */
const THREAD_REPEATS = QUICK ? 1 : 5;

const NoParams = z.object({}).strict();

/** Passes every number through unchanged: the cheapest compute an operator can have. */
const ForwardOp = defineOperator({
  name: 'BenchForwardOp',
  description: 'forwards its input unchanged',
  params: NoParams,
  inputs: { in: port(NumberMessage) },
  outputs: { out: port(NumberMessage) },
  compute({ in: value }, emit) {
    emit.out(value);
  },
});

/** Builds source -> N x ForwardOp -> sink with the default connection options. */
function buildChain(app: Application, forwarders: number, source: Parameters<Application['add']>[1], sink: Parameters<Application['add']>[1], sourceCount: number): void {
  const src = app.add('src', source, { conditions: [{ type: 'count', count: sourceCount }] });
  let prev = src;
  for (let i = 0; i < forwarders; i++) {
    const fwd = app.add(`fwd${i}`, ForwardOp);
    app.addFlow(prev, fwd);
    prev = fwd;
  }
  app.addFlow(prev, app.add('sink', sink));
}

/** Clock read cost: the smallest latency a sample can show; subtracted from every latency sample. */
function clockFloorMs(): number {
  const d = new Float64Array(100_000);
  for (let i = 0; i < d.length; i++) {
    const a = performance.now();
    d[i] = performance.now() - a;
  }
  return median(d);
}

// ---------------------------------------------------------------- latency: one message at a time

async function frameworkLatency(forwarders: number, samples: number): Promise<Float64Array> {
  const lat = new Float64Array(samples);
  let k = 0;
  let sourceCtx: OperatorContext<unknown> | null = null;
  // An asynchronous source: it emits only when notified, so the sink paces it (ping-pong).
  const StampSource = defineOperator({
    name: 'BenchStampSourceOp',
    params: NoParams,
    outputs: { out: port(NumberMessage) },
    conditions: [{ type: 'asynchronous' }],
    start(ctx) {
      sourceCtx = ctx;
      // After start, not inside it: every operator must be started before the first message moves.
      setImmediate(() => ctx.notify());
    },
    compute(_inputs, emit) {
      emit.out(performance.now());
    },
  });
  const StampSink = defineOperator({
    name: 'BenchStampSinkOp',
    params: NoParams,
    inputs: { in: port(NumberMessage) },
    compute({ in: t0 }) {
      lat[k++] = performance.now() - t0;
      sourceCtx!.notify();
    },
  });
  const app = new Application('bench_latency', { logLevel: 'error' });
  buildChain(app, forwarders, StampSource, StampSink, samples);
  await app.run();
  if (k !== samples) throw new Error(`framework latency chain ${forwarders}: sink got ${k} of ${samples} messages`);
  return lat;
}

function rxjsLatency(forwarders: number, samples: number): Float64Array {
  const lat = new Float64Array(samples);
  let k = 0;
  const subjects = Array.from({ length: forwarders + 1 }, () => new Subject<number>());
  for (let i = 0; i < forwarders; i++) {
    const next = subjects[i + 1];
    subjects[i].subscribe((v) => next.next(v));
  }
  subjects[forwarders].subscribe((t0) => { lat[k++] = performance.now() - t0; });
  for (let i = 0; i < samples; i++) subjects[0].next(performance.now());
  for (const s of subjects) s.complete();
  if (k !== samples) throw new Error(`rxjs latency chain ${forwarders}: sink got ${k} of ${samples} messages`);
  return lat;
}

// ---------------------------------------------------------------- throughput: as fast as it goes

interface ThroughputRun {
  messagesPerSecond: number;
  wallMs: number;
}

async function frameworkThroughput(forwarders: number, messages: number): Promise<ThroughputRun> {
  let received = 0;
  let sum = 0;
  const CountSource = defineOperator({
    name: 'BenchCountSourceOp',
    params: NoParams,
    outputs: { out: port(NumberMessage) },
    initialize: () => ({ next: 0 }),
    compute(_inputs, emit, ctx) {
      emit.out(ctx.state.next++);
    },
  });
  const CountSink = defineOperator({
    name: 'BenchCountSinkOp',
    params: NoParams,
    inputs: { in: port(NumberMessage) },
    compute({ in: v }) {
      received++;
      sum += v;
    },
  });
  const app = new Application('bench_throughput', { logLevel: 'error' });
  buildChain(app, forwarders, CountSource, CountSink, messages);
  const t0 = performance.now();
  await app.run();
  const wallMs = performance.now() - t0;
  checkDelivery('framework', forwarders, messages, received, sum);
  const drops = Object.values(app.drops()).reduce((a, b) => a + b, 0);
  if (drops !== 0) throw new Error(`framework throughput chain ${forwarders}: ${drops} messages dropped`);
  return { messagesPerSecond: messages / (wallMs / 1000), wallMs };
}

function rxjsThroughput(forwarders: number, messages: number): ThroughputRun {
  let received = 0;
  let sum = 0;
  const subjects = Array.from({ length: forwarders + 1 }, () => new Subject<number>());
  for (let i = 0; i < forwarders; i++) {
    const next = subjects[i + 1];
    subjects[i].subscribe((v) => next.next(v));
  }
  subjects[forwarders].subscribe((v) => { received++; sum += v; });
  const t0 = performance.now();
  const head = subjects[0];
  for (let i = 0; i < messages; i++) head.next(i);
  const wallMs = performance.now() - t0;
  for (const s of subjects) s.complete();
  checkDelivery('rxjs', forwarders, messages, received, sum);
  return { messagesPerSecond: messages / (wallMs / 1000), wallMs };
}

/** Every message arrived, in full: a chain that loses or invents messages must not produce a figure. */
function checkDelivery(impl: string, forwarders: number, messages: number, received: number, sum: number): void {
  const expected = (messages * (messages - 1)) / 2;
  if (received !== messages || sum !== expected) {
    throw new Error(`${impl} throughput chain ${forwarders}: sink got ${received} of ${messages} messages (sum ${sum}, expected ${expected})`);
  }
}

// ---------------------------------------------------------------- the RxJS surface (issue 10)

const SURFACE_OPS = 3;

/** Passes every number through, written as an RxJS pipeline: `in$.pipe(map(v => v))`. */
const PipeForwardOp = defineOperator({
  name: 'BenchPipeForwardOp',
  inputs: { in: port(NumberMessage) },
  outputs: { out: port(NumberMessage) },
  pipe: ({ in: in$ }) => ({ out: in$.pipe(map((v) => v)) }),
});

function countingSink(counter: { received: number; sum: number }) {
  return defineOperator({
    name: 'BenchCountSinkOp', params: NoParams, inputs: { in: port(NumberMessage) },
    compute({ in: v }) { counter.received++; counter.sum += v; },
  });
}

/**
 * Messages/s through SURFACE_OPS operators: `pipe` = pipe operators fed by a count-bounded source;
 * `feed` = compute operators fed by `app.input(range(0, N))` (an Observable into an input port).
 */
async function surfaceThroughput(kind: 'pipe' | 'feed', messages: number): Promise<ThroughputRun> {
  const counter = { received: 0, sum: 0 };
  const app = new Application(`bench_${kind}`, { logLevel: 'error' });
  const CountSource = defineOperator({
    name: 'BenchCountSourceOp', params: NoParams, outputs: { out: port(NumberMessage) },
    initialize: () => ({ next: 0 }),
    compute(_i, emit, ctx) { emit.out(ctx.state.next++); },
  });
  const ops = Array.from({ length: SURFACE_OPS }, (_, i) => app.add(`op${i}`, kind === 'pipe' ? PipeForwardOp : ForwardOp));
  for (let i = 1; i < ops.length; i++) app.addFlow(ops[i - 1], ops[i]);
  app.addFlow(ops[ops.length - 1], app.add('sink', countingSink(counter)));
  if (kind === 'pipe') app.addFlow(app.add('src', CountSource, { conditions: [{ type: 'count', count: messages }] }), ops[0]);
  else app.input(ops[0], 'in', range(0, messages));
  const t0 = performance.now();
  await app.run();
  const wallMs = performance.now() - t0;
  checkDelivery(`framework ${kind}`, SURFACE_OPS, messages, counter.received, counter.sum);
  return { messagesPerSecond: messages / (wallMs / 1000), wallMs };
}

/** The bare RxJS baseline: range(0, N) through SURFACE_OPS `map`s into a subscriber. */
function rxjsMapThroughput(messages: number): ThroughputRun {
  let received = 0;
  let sum = 0;
  let o = range(0, messages);
  for (let i = 0; i < SURFACE_OPS; i++) o = o.pipe(map((v) => v));
  const t0 = performance.now();
  o.subscribe((v) => { received++; sum += v; });
  const wallMs = performance.now() - t0;
  checkDelivery('rxjs map', SURFACE_OPS, messages, received, sum);
  return { messagesPerSecond: messages / (wallMs / 1000), wallMs };
}

interface SurfaceResult { row: string; medianMessagesPerSecond: number; nsPerHop: number; repeats: ThroughputRun[] }

async function benchSurface(): Promise<SurfaceResult[]> {
  const runs: Record<string, ThroughputRun[]> = { rxjs: [], compute: [], pipe: [], feed: [] };
  for (let r = -1; r < REPEATS; r++) {
    const rx = rxjsMapThroughput(THROUGHPUT_MESSAGES);
    const compute = await frameworkThroughput(SURFACE_OPS, THROUGHPUT_MESSAGES);
    const pipe = await surfaceThroughput('pipe', THROUGHPUT_MESSAGES);
    const feed = await surfaceThroughput('feed', THROUGHPUT_MESSAGES);
    if (r >= 0) { runs.rxjs.push(rx); runs.compute.push(compute); runs.pipe.push(pipe); runs.feed.push(feed); }
  }
  const hops = SURFACE_OPS + 1;
  const rows: [string, string][] = [
    ['rxjs', `bare RxJS: range -> ${SURFACE_OPS} x map -> subscriber (baseline)`],
    ['compute', `holots: count source -> ${SURFACE_OPS} compute operators -> sink`],
    ['pipe', `holots: count source -> ${SURFACE_OPS} pipe operators (in$.pipe(map)) -> sink`],
    ['feed', `holots: app.input(range) -> ${SURFACE_OPS} compute operators -> sink`],
  ];
  return rows.map(([k, row]) => {
    const mps = median(runs[k].map((t) => t.messagesPerSecond));
    return { row, medianMessagesPerSecond: mps, nsPerHop: 1e9 / mps / hops, repeats: runs[k] };
  });
}

// ---------------------------------------------------------------- the run

interface LatencyResult {
  /** Per-hop latency in ns (whole-chain latency less the clock floor, divided by the hops). */
  perHopNs: Summary;
  /** Whole-chain latency in ns, clock floor not subtracted. */
  chainNs: Summary;
}

interface ChainResult {
  operators: number;
  hops: number;
  latency: { framework: LatencyResult; rxjs: LatencyResult; ratioMedian: number; ratioP99: number };
  throughput: {
    framework: { medianMessagesPerSecond: number; repeats: ThroughputRun[] };
    rxjs: { medianMessagesPerSecond: number; repeats: ThroughputRun[] };
    /** How many times faster the bare RxJS chain is. */
    ratio: number;
    /** Framework cost per hop when pipelined: wall time / (messages x hops). */
    frameworkNsPerHop: number;
    rxjsNsPerHop: number;
  };
}

function latencyResult(samplesMs: Float64Array[], hops: number, floorMs: number): LatencyResult {
  const all = new Float64Array(samplesMs.reduce((n, s) => n + s.length, 0));
  let o = 0;
  for (const s of samplesMs) { all.set(s, o); o += s.length; }
  const chainNs = scaleSummary(summarize(all), 1e6);
  const perHop = all.map((v) => Math.max(0, v - floorMs) / hops);
  return { perHopNs: scaleSummary(summarize(perHop), 1e6), chainNs };
}

async function benchChain(forwarders: number, floorMs: number): Promise<ChainResult> {
  const hops = forwarders + 1;
  const fwLat: Float64Array[] = [];
  const rxLat: Float64Array[] = [];
  const fwTp: ThroughputRun[] = [];
  const rxTp: ThroughputRun[] = [];
  for (let r = -1; r < REPEATS; r++) {
    // r = -1 is the warm-up: same work, results thrown away (lets V8 optimise both sides first).
    const fl = await frameworkLatency(forwarders, LATENCY_SAMPLES);
    const rl = rxjsLatency(forwarders, LATENCY_SAMPLES);
    const ft = await frameworkThroughput(forwarders, THROUGHPUT_MESSAGES);
    const rt = rxjsThroughput(forwarders, THROUGHPUT_MESSAGES);
    if (r >= 0) { fwLat.push(fl); rxLat.push(rl); fwTp.push(ft); rxTp.push(rt); }
  }
  const framework = latencyResult(fwLat, hops, floorMs);
  const rxjs = latencyResult(rxLat, hops, floorMs);
  const fwMps = median(fwTp.map((t) => t.messagesPerSecond));
  const rxMps = median(rxTp.map((t) => t.messagesPerSecond));
  return {
    operators: forwarders,
    hops,
    latency: {
      framework,
      rxjs,
      ratioMedian: framework.perHopNs.median / rxjs.perHopNs.median,
      ratioP99: framework.perHopNs.p99 / rxjs.perHopNs.p99,
    },
    throughput: {
      framework: { medianMessagesPerSecond: fwMps, repeats: fwTp },
      rxjs: { medianMessagesPerSecond: rxMps, repeats: rxTp },
      ratio: rxMps / fwMps,
      frameworkNsPerHop: 1e9 / fwMps / hops,
      rxjsNsPerHop: 1e9 / rxMps / hops,
    },
  };
}

/** "met" or "missed" with how far off, e.g. "missed (2.3x over)". */
function goal(value: number, limit: number, atMost: boolean): string {
  const ok = atMost ? value <= limit : value >= limit;
  if (ok) return 'met';
  return `missed (${(atMost ? value / limit : limit / value).toFixed(1)}x ${atMost ? 'over' : 'under'})`;
}

function tables(results: ChainResult[]): { latency: [string[], string[][]]; throughput: [string[], string[][]] } {
  const latHead = ['chain', 'hops', 'holots median/hop', 'holots p99/hop', 'rxjs median/hop', 'rxjs p99/hop', 'ratio median', 'ratio p99', `goal <= ${GOAL_HOP_MEDIAN_NS / 1000} µs`, `goal <= ${GOAL_RATIO_TO_RXJS}x rxjs`];
  const latRows = results.map((r) => [
    `${r.operators} op${r.operators > 1 ? 's' : ''}`,
    String(r.hops),
    ns(r.latency.framework.perHopNs.median),
    ns(r.latency.framework.perHopNs.p99),
    ns(r.latency.rxjs.perHopNs.median),
    ns(r.latency.rxjs.perHopNs.p99),
    `${r.latency.ratioMedian.toFixed(1)}x`,
    `${r.latency.ratioP99.toFixed(1)}x`,
    goal(r.latency.framework.perHopNs.median, GOAL_HOP_MEDIAN_NS, true),
    goal(r.latency.ratioMedian, GOAL_RATIO_TO_RXJS, true),
  ]);
  const tpHead = ['chain', 'hops', 'holots msg/s', 'rxjs msg/s', 'ratio', 'holots ns/hop', 'rxjs ns/hop', `goal >= ${si(GOAL_THROUGHPUT_3)} msg/s`];
  const tpRows = results.map((r) => [
    `${r.operators} op${r.operators > 1 ? 's' : ''}`,
    String(r.hops),
    si(r.throughput.framework.medianMessagesPerSecond),
    si(r.throughput.rxjs.medianMessagesPerSecond),
    `${r.throughput.ratio.toFixed(1)}x`,
    ns(r.throughput.frameworkNsPerHop),
    ns(r.throughput.rxjsNsPerHop),
    r.operators === 3 ? goal(r.throughput.framework.medianMessagesPerSecond, GOAL_THROUGHPUT_3, false) : '-',
  ]);
  return { latency: [latHead, latRows], throughput: [tpHead, tpRows] };
}

async function main(): Promise<void> {
  const markdown = process.argv.includes('--markdown');
  const started = performance.now();
  const floorMs = clockFloorMs();
  console.log(`framework hop benchmark: ${describeMachine()}`);
  console.log(`chains of ${CHAINS.join(', ')} forwarding operators; ${REPEATS} repeats after a warm-up; ` +
    `latency ${LATENCY_SAMPLES} samples/repeat (clock floor ${ns(floorMs * 1e6)} subtracted), throughput ${si(THROUGHPUT_MESSAGES)} messages/repeat\n`);
  const results: ChainResult[] = [];
  if (!process.argv.includes('--threads-only')) for (const n of CHAINS) results.push(await benchChain(n, floorMs));

  const surface = await benchSurface();
  const base = surface[0].nsPerHop;
  const surfaceTable: [string[], string[][]] = [
    ['what', 'msg/s', 'ns/hop', 'x bare RxJS'],
    surface.map((r) => [r.row, si(r.medianMessagesPerSecond), ns(r.nsPerHop), `${(r.nsPerHop / base).toFixed(1)}x`]),
  ];
  const t = tables(results);
  console.log('per-hop latency (one message in flight):');
  console.log(formatTable(...t.latency));
  console.log('\nthroughput (median of repeats; ratio = how many times faster bare rxjs is):');
  console.log(formatTable(...t.throughput));
  const threads = await benchThreads(THREAD_REPEATS);
  const tt = threadTables(threads);
  console.log(`\nworker threads (${describeLoad(threads)}; ${describeRepeats(threads)}):`);
  console.log(formatTable(...tt.blur));
  console.log(formatTable(...tt.hop));
  console.log('\nthe RxJS surface (throughput, ns per hop = wall time / (messages x hops)):');
  console.log(formatTable(...surfaceTable));
  const md = `Per-hop latency (one message in flight):\n\n${formatMarkdownTable(...t.latency)}\n\n` +
    `Throughput (ratio = how many times faster the bare RxJS chain is):\n\n${formatMarkdownTable(...t.throughput)}\n\n` +
    `The RxJS surface (throughput, ns per hop = wall time / (messages x hops)):\n\n${formatMarkdownTable(...surfaceTable)}\n\n` +
    `Worker threads (each row a process of its own; median of ${THREAD_REPEATS} interleaved repeats; ${describeLoad(threads)}):\n\n${formatMarkdownTable(...tt.blur)}\n\n` +
    `Frames/s per repeat, in the order they ran: ${describeRepeats(threads)}.\n\n` +
    `A 720p frame's hop across a thread (one frame in flight, ${threads.hop[0].latencyMs.count} samples each):\n\n${formatMarkdownTable(...tt.hop)}`;
  writeMarkdown('framework', md);
  if (markdown) console.log('\n' + md);
  const file = writeResults('framework', {
    config: { chains: CHAINS, repeats: REPEATS, latencySamplesPerRepeat: LATENCY_SAMPLES, throughputMessagesPerRepeat: THROUGHPUT_MESSAGES, clockFloorNs: floorMs * 1e6 },
    goals: { hopMedianNs: GOAL_HOP_MEDIAN_NS, ratioToRxjs: GOAL_RATIO_TO_RXJS, throughput3OpsPerSecond: GOAL_THROUGHPUT_3 },
    chains: results,
    threads,
    surface,
  });
  console.log(`\nraw results: ${file} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

await main();
