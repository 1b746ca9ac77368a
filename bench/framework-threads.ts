/**
 * Worker-thread rows of the framework bench (issue 10): a CPU-heavy TypeScript operator (BlurOp, a 5x5
 * box blur of 720p luma) on the main thread, on a pool of 1 and of 2 threads, beside the ceiling (two bare
 * worker threads running the same blur with no framework); and the cost of a hop
 * across a thread at 720p beside the in-thread hop. Imported by framework.bench.ts; it also defines the
 * operators the pools load, so it does nothing at import time unless it is the process's entry point.
 *
 * - Every row runs in a process of its own (this file as the entry point, `--row <row>`), so each starts
 *   from a fresh V8 isolate: no row inherits JIT state (compiled code, type feedback, on-stack-replacement
 *   code of BlurOp's long loops) from another row or from the hop benchmarks. The rows are interleaved
 *   (the order rotates each repeat) and the median is reported. The reference blur the sink compares
 *   with comes from a second instance of BlurOp's module, so computing it leaves no feedback on the
 *   function the row runs: in every row BlurOp's first call is the first frame's.
 *
 * - Throughput: a source copies a 720p yuv420p template per compute (fresh buffers, so the pool moves
 *   them), BlurOp blurs, a sink stamps each arrival. After WARMUP frames (thread start, module load, JIT,
 *   the GC of what loading left behind), fps = frames / time between the first and the last counted
 *   arrival: the steady state. Each row also says how long its first frame took from run() (thread start
 *   and module load for the pools). Default queues (capacity 1, pop). Every output is compared (through
 *   views, no copy) with the blur computed here, so a figure never comes from wrong pictures.
 *   CPU is this process's (process.cpuUsage counts every thread of it) per counted frame, and the main
 *   thread's share of it (/proc, 10 ms ticks over the run).
 *   All rows run the same BlurOp code; on the main thread it is the same compute, called in place.
 * - Hop latency: one frame in flight. The source stamps performance.now() into the frame's timestamp,
 *   a pass-through operator forwards it (on the main thread, or on a pool of 1), the sink takes the
 *   difference and notifies the source. The pool row's frames own their planes (moved); the copy row's
 *   planes are views into a larger buffer (copied there, moved back).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { isMainThread, Worker } from 'node:worker_threads';
import { z } from 'zod';
import { Application, defineOperator, port, type OperatorContext } from '../framework/index.ts';
import { VideoFrame } from '../operators/messages/index.ts';
import { BlurOp } from '../test/framework/fixtures/workers/blur.ts';
import { gradientFrame } from '../test/framework/fixtures/workers/frames.ts';
import { processCpuMs, summarize, type Summary } from './lib/index.ts';

const W = 1280;
const H = 720;
const WARMUP = 24;
const FRAMES = 100;
const HOP_WARMUP = 20;
const HOP_SAMPLES = 300;

const BLUR_ROWS = ['main', 'pool 1', 'pool 2', 'bare 2'] as const;
type BlurRow = (typeof BLUR_ROWS)[number];
const HOP_ROWS = ['main', 'pool (moved)', 'pool (copied views)'] as const;
type HopRow = (typeof HOP_ROWS)[number];

/** Forwards a frame unchanged: what is left is the cost of getting there and back. */
export const PassFrameOp = defineOperator({
  name: 'BenchPassFrameOp',
  module: import.meta.url,
  params: z.object({}).strict(),
  inputs: { in: port(VideoFrame) },
  outputs: { out: port(VideoFrame) },
  compute({ in: f }, emit) { emit.out(f); },
});

export interface BlurRun {
  where: BlurRow;
  fps: number;
  /** This process's CPU (every thread) per counted frame. */
  cpuMsPerFrame: number;
  /** The main thread's own share (/proc, 10 ms ticks); -1 where /proc is missing. */
  mainThreadCpuMsPerFrame: number;
  /** Every thread's CPU over the counted frames, busiest first (ms per frame; tid 0 = the main thread). */
  threadsCpuMsPerFrame: { tid: number; ms: number }[];
  /** Of the process's CPU, the kernel's share (ms per frame) and the minor page faults per frame (/proc). */
  systemMsPerFrame: number;
  minorFaultsPerFrame: number;
  firstFrameMs: number;
}

async function blurRun(where: BlurRow): Promise<BlurRun> {
  if (where === 'bare 2') return bareThreadsRun();
  const template = gradientFrame(W, H, 3);
  // A second instance of BlurOp's module: the reference leaves no JIT feedback on the blur the row runs.
  const reference = (await import(new URL('../test/framework/fixtures/workers/blur.ts?reference', import.meta.url).href)) as typeof import('../test/framework/fixtures/workers/blur.ts');
  const expected = reference.blur5x5(template.planes[0].data, W, H, W);
  const arrivals: number[] = [];
  // Also asks getconf for /proc's clock tick once, blocking: before the run, never inside the counted frames.
  let atFirst = snapshot();
  let atLast = atFirst;
  const Source = defineOperator({
    name: 'BenchFrameSourceOp',
    params: z.object({}).strict(),
    outputs: { out: port(VideoFrame) },
    compute(_i, emit) { emit.out({ ...template, planes: template.planes.map((p) => ({ data: p.data.slice(), stride: p.stride })) }); },
  });
  const Sink = defineOperator({
    name: 'BenchFrameSinkOp',
    params: z.object({}).strict(),
    inputs: { in: port(VideoFrame) },
    compute({ in: f }) {
      arrivals.push(performance.now());
      if (arrivals.length === WARMUP) atFirst = snapshot();
      if (arrivals.length === WARMUP + FRAMES) atLast = snapshot();
      if (!bytes(f.planes[0].data).equals(bytes(expected))) throw new Error(`${where}: a blurred frame differs from the reference`);
    },
  });
  const app = new Application('bench_blur', { logLevel: 'error' });
  if (where !== 'main') app.addPool('cv', { threads: where === 'pool 1' ? 1 : 2 });
  const src = app.add('src', Source, { conditions: [{ type: 'count', count: WARMUP + FRAMES }] });
  const blur = app.add('blur', BlurOp, where === 'main' ? {} : { pool: 'cv' });
  app.addFlow(src, blur);
  app.addFlow(blur, app.add('sink', Sink));
  const t0 = performance.now();
  await app.run();
  if (arrivals.length !== WARMUP + FRAMES) throw new Error(`${where}: ${arrivals.length} of ${WARMUP + FRAMES} frames arrived`);
  // Both ends at an arrival: the pool's shutdown (threads ending) is not a frame's cost.
  const seconds = (arrivals[arrivals.length - 1] - arrivals[WARMUP - 1]) / 1000;
  return { where, fps: FRAMES / seconds, ...costPerFrame(atFirst, atLast), firstFrameMs: arrivals[0] - t0 };
}

/**
 * The ceiling: two worker threads blurring with no framework, no source, no sink and no frames crossing,
 * each its own copy of the luma plane (the same blur5x5 BlurOp runs). What two threads of this machine can
 * do at all, so the pool's ratio can be read against it and not only against the goal.
 */
async function bareThreadsRun(): Promise<BlurRun> {
  const luma = gradientFrame(W, H, 3).planes[0].data;
  snapshot(); // getconf for /proc's clock tick, before anything is timed
  const t0 = performance.now();
  const workers = [0, 1].map(() => new Worker(new URL('./bare-blur-thread.mjs', import.meta.url), { workerData: { width: W, height: H, luma, warmup: WARMUP / 2, frames: FRAMES / 2 } }));
  const next = (w: Worker) => new Promise<void>((resolve, reject) => { w.once('message', () => resolve()); w.once('error', reject); });
  await Promise.all(workers.map(next));
  const firstFrameMs = performance.now() - t0;
  const atFirst = snapshot(), w0 = performance.now();
  const done = Promise.all(workers.map(next));
  for (const w of workers) w.postMessage('go');
  await done;
  const seconds = (performance.now() - w0) / 1000;
  const atLast = snapshot();
  await Promise.all(workers.map((w) => w.terminate()));
  return { where: 'bare 2', fps: FRAMES / seconds, ...costPerFrame(atFirst, atLast), firstFrameMs };
}

/** The process's CPU, each thread's, and the kernel's share and page faults, at one moment. */
interface Snapshot { cpu: number; threads: Map<number, number>; stat: { systemMs: number; minorFaults: number } }

function snapshot(): Snapshot {
  return { cpu: cpuMs(), threads: threadsCpuMs(), stat: procStat() };
}

/** What FRAMES counted frames cost between two snapshots, per frame (tid 0 = the main thread; -1 where /proc is missing). */
function costPerFrame(first: Snapshot, last: Snapshot): Omit<BlurRun, 'where' | 'fps' | 'firstFrameMs'> {
  const threads = [...last.threads].map(([tid, ms]) => ({ tid: tid === process.pid ? 0 : tid, ms: (ms - (first.threads.get(tid) ?? 0)) / FRAMES }))
    .filter((t) => t.ms > 0).sort((a, b) => b.ms - a.ms);
  return {
    cpuMsPerFrame: (last.cpu - first.cpu) / FRAMES,
    mainThreadCpuMsPerFrame: last.threads.size ? (last.threads.get(process.pid)! - first.threads.get(process.pid)!) / FRAMES : -1,
    threadsCpuMsPerFrame: threads,
    systemMsPerFrame: (last.stat.systemMs - first.stat.systemMs) / FRAMES,
    minorFaultsPerFrame: (last.stat.minorFaults - first.stat.minorFaults) / FRAMES,
  };
}

/** A Buffer over the same memory (Buffer.from(typedArray) would copy 0.9 MB per check). */
function bytes(a: Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** CPU of each of this process's threads by tid, ms (10 ms ticks); empty where /proc is missing. */
function threadsCpuMs(): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try { tids = readdirSync('/proc/self/task'); } catch { return out; }
  for (const t of tids) {
    try { out.set(Number(t), processCpuMs(process.pid, Number(t))); } catch { /* the thread ended meanwhile */ }
  }
  return out;
}

/** This process's kernel CPU (ms, from process.cpuUsage) and minor page faults (/proc; 0 where it is missing). */
function procStat(): { systemMs: number; minorFaults: number } {
  let minorFaults = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    minorFaults = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
  } catch { /* not Linux */ }
  return { systemMs: process.cpuUsage().system / 1000, minorFaults };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface HopRun { where: HopRow; latencyMs: Summary }

async function hopRun(where: HopRow): Promise<HopRun> {
  const lat: number[] = [];
  let sourceCtx: OperatorContext<unknown> | null = null;
  const template = gradientFrame(W, H, 1);
  const Source = defineOperator({
    name: 'BenchHopSourceOp',
    params: z.object({}).strict(),
    outputs: { out: port(VideoFrame) },
    conditions: [{ type: 'asynchronous' }],
    start(ctx) { sourceCtx = ctx; setImmediate(() => ctx.notify()); },
    compute(_i, emit) {
      let planes = template.planes.map((p) => ({ data: p.data.slice(), stride: p.stride }));
      if (where === 'pool (copied views)') {
        // A decoder's picture: the planes are views into one larger buffer.
        const big = new Uint8Array(16 + planes.reduce((n, p) => n + p.data.length, 0));
        let o = 16;
        planes = planes.map((p) => { const v = big.subarray(o, o + p.data.length); v.set(p.data); o += p.data.length; return { data: v as Uint8Array<ArrayBuffer>, stride: p.stride }; });
      }
      emit.out({ ...template, planes, timestamp: performance.now() });
    },
  });
  const Sink = defineOperator({
    name: 'BenchHopSinkOp',
    params: z.object({}).strict(),
    inputs: { in: port(VideoFrame) },
    compute({ in: f }) {
      lat.push(performance.now() - f.timestamp);
      if (f.planes[0].data[W + 7] !== template.planes[0].data[W + 7]) throw new Error(`${where}: the frame changed on the way`);
      sourceCtx!.notify();
    },
  });
  const app = new Application('bench_hop', { logLevel: 'error' });
  app.addPool('cv', { threads: 1 });
  const src = app.add('src', Source, { conditions: [{ type: 'count', count: HOP_WARMUP + HOP_SAMPLES }] });
  const pass = app.add('pass', PassFrameOp, where === 'main' ? {} : { pool: 'cv' });
  app.addFlow(src, pass);
  app.addFlow(pass, app.add('sink', Sink));
  await app.run();
  // The frame copy in the source happens before the stamp, so only the hops are timed.
  return { where, latencyMs: summarize(lat.slice(HOP_WARMUP)) };
}

/** Runs one row in a fresh process (this file as its entry point) and returns what it printed. */
function inChild<T>(kind: 'blur' | 'hop', row: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--row', kind, row], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('ROW '));
      if (code !== 0 || !line) reject(new Error(`${kind} row '${row}' (child process) exited with ${code}: ${out.trim().slice(-500)}`));
      else resolve(JSON.parse(line.slice(4)) as T);
    });
  });
}

export interface ThreadResults {
  loadavgBefore: number[];
  loadavgAfter: number[];
  blur: { repeats: BlurRun[][]; medianFps: Record<BlurRow, number>; ratioToMain: Record<BlurRow, number> };
  hop: HopRun[];
}

/** Runs main / pool 1 / pool 2 / the bare ceiling, each in its own process, interleaved `repeats` times (the order rotates), then the hop rows. */
export async function benchThreads(repeats: number): Promise<ThreadResults> {
  const loadavgBefore = os.loadavg();
  const runs: BlurRun[][] = [];
  for (let r = 0; r < repeats; r++) {
    const order = BLUR_ROWS.map((_, i) => BLUR_ROWS[(i + r) % BLUR_ROWS.length]);
    const got: BlurRun[] = [];
    for (const where of order) got.push(await inChild<BlurRun>('blur', where));
    runs.push(got);
  }
  const med = (where: BlurRow) => median(runs.map((rs) => rs.find((x) => x.where === where)!.fps));
  const medianFps = Object.fromEntries(BLUR_ROWS.map((w) => [w, med(w)])) as Record<BlurRow, number>;
  const ratioToMain = Object.fromEntries(BLUR_ROWS.map((w) => [w, medianFps[w] / medianFps.main])) as Record<BlurRow, number>;
  const hop: HopRun[] = [];
  for (const where of HOP_ROWS) hop.push(await inChild<HopRun>('hop', where));
  return { loadavgBefore, loadavgAfter: os.loadavg(), blur: { repeats: runs, medianFps, ratioToMain }, hop };
}

/** The middle value (the upper one of an even count, as the other tables' nearest rank). */
function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
}

export function threadTables(t: ThreadResults): { blur: [string[], string[][]]; hop: [string[], string[][]] } {
  const med = (where: BlurRow, key: 'cpuMsPerFrame' | 'mainThreadCpuMsPerFrame' | 'firstFrameMs') => median(t.blur.repeats.map((rs) => rs.find((x) => x.where === where)![key]));
  const blurHead = ['BlurOp (5x5, 720p luma), steady state', 'frames/s', 'ratio to main', 'process CPU ms/frame', 'of it main thread', 'first frame after run()', 'goal: pool 2 >= 1.7x main'];
  const blurRows = BLUR_ROWS.map((w) => [
    w === 'main' ? 'main thread' : w === 'bare 2' ? 'ceiling: 2 bare worker threads blurring, no framework, nothing crossing' : `pool of ${w.slice(5)} thread${w === 'pool 2' ? 's' : ''}`,
    t.blur.medianFps[w].toFixed(1),
    `${t.blur.ratioToMain[w].toFixed(2)}x`,
    med(w, 'cpuMsPerFrame').toFixed(1),
    med(w, 'mainThreadCpuMsPerFrame') < 0 ? '-' : med(w, 'mainThreadCpuMsPerFrame').toFixed(1),
    `${med(w, 'firstFrameMs').toFixed(0)} ms`,
    w === 'pool 2' ? (t.blur.ratioToMain[w] >= 1.7 ? 'met' : `missed (${t.blur.ratioToMain[w].toFixed(2)}x)`) : '-',
  ]);
  const base = t.hop[0].latencyMs;
  const hopHead = ['720p frame, source -> pass -> sink', 'p50', 'p99', 'p50 minus in-thread'];
  const hopRows = t.hop.map((h) => [
    h.where === 'main' ? 'pass on the main thread (2 in-thread hops)' : h.where === 'pool (moved)' ? 'pass on a pool of 1: planes moved both ways' : 'pass on a pool of 1: view planes copied there, moved back',
    `${(h.latencyMs.median * 1000).toFixed(1)} µs`,
    `${(h.latencyMs.p99 * 1000).toFixed(1)} µs`,
    h === t.hop[0] ? '-' : `${((h.latencyMs.median - base.median) * 1000).toFixed(1)} µs`,
  ]);
  return { blur: [blurHead, blurRows], hop: [hopHead, hopRows] };
}

/** Each repeat's frames/s per row, in the order they ran: how much the rows moved between repeats. */
export function describeRepeats(t: ThreadResults): string {
  return t.blur.repeats.map((rs, i) => `repeat ${i + 1}: ${rs.map((r) => `${r.where} ${r.fps.toFixed(1)}`).join(', ')}`).join('; ');
}

export function describeLoad(t: ThreadResults): string {
  const f = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  return `load average (1/5/15 min) ${f(t.loadavgBefore)} before, ${f(t.loadavgAfter)} after, on ${os.cpus().length} cores`;
}

// A row's own process: `node --import tsx bench/framework-threads.ts --row blur|hop <row>` prints `ROW <json>`.
if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--row');
  const [kind, row] = [process.argv[i + 1], process.argv[i + 2]];
  if (kind === 'blur' && (BLUR_ROWS as readonly string[]).includes(row)) console.log(`ROW ${JSON.stringify(await blurRun(row as BlurRow))}`);
  else if (kind === 'hop' && (HOP_ROWS as readonly string[]).includes(row)) console.log(`ROW ${JSON.stringify(await hopRun(row as HopRow))}`);
  else throw new Error(`usage: framework-threads.ts --row blur <${BLUR_ROWS.join('|')}> | --row hop <${HOP_ROWS.join('|')}>`);
}
