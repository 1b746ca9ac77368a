/**
 * `npm run bench:fragments`: a 720p30 and a 1080p30 yuv420p flow between two fragments (two processes,
 * through a real nats-server), beside the same flow in one process, the NATS client alone and a plain
 * TCP socket between two processes, in the same run. Latency from the source's emit to the sink's
 * compute (wall clock, same machine); CPU per frame of each process from /proc (sender, receiver,
 * nats-server), never the harness. Then how sessions scale: N WHIP publishers of a 720p30 H264 stream
 * into the split seed app with 1 and with 2 ingest workers (bench/fragments/sessions.ts). Each flow row is
 * run in 3 rounds (BENCH_ROUNDS), each in fresh processes, and the median round by p50 is shown. Every
 * process runs with the holots command's Node flags (bin/node-flags.js), the baselines' too, and one row
 * runs the two fragments without them, to show what they do.
 * Writes bench/results/fragments.{json,md} (a full run only: a partial one prints its table).
 *   node --import tsx bench/fragments.bench.ts [--quick] [--flows-only | --sessions-only]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { HOLOTS_NODE_FLAGS } from '../bin/node-flags.js';
import { freePort, ROOT } from '../testkit/app-process.ts';
import { startNatsServer } from '../testkit/nats-server.ts';
import { measureSessions, type SessionsRow } from './fragments/sessions.ts';
import { describeMachine, formatMarkdownTable, formatTable, processCpuMs, summarize, writeMarkdown, writeResults } from './lib/index.ts';

const SCRIPT = 'bench/fragments/flow-process.ts';
/**
 * The "chunked" row's message size: a frame in messages this big, so nats-server could forward one while
 * the next arrives and the client never gathers a large message. It measured worse (docs/benchmarks.md),
 * so flows send each message whole; the row stays to show it.
 */
const CHUNK_BYTES = 256 * 1024;
/** `--quick`: 2 s of warm-up and a 3 s window per row instead of 3 s and 10 s (proves the bench runs end to end). */
const QUICK = process.argv.includes('--quick');
process.env.BENCH_WARMUP_MS ??= QUICK ? '2000' : '3000';
process.env.BENCH_WINDOW_MS ??= QUICK ? '3000' : '10000';
/** Rounds of every flow row, fresh processes each; the table shows each transport's median round (`--quick`: 1). */
const ROUNDS = QUICK ? 1 : Number(process.env.BENCH_ROUNDS ?? 3);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`BENCH_ROUNDS must be a whole number of rounds, at least 1 (got ${process.env.BENCH_ROUNDS})`);

interface Side { proc: ChildProcess; lines: string[]; waitLine(re: RegExp, timeoutMs?: number): Promise<string> }

/** One process of a row, with the holots command's Node flags unless told otherwise (the baselines too: any Node program can use them). */
function side(args: string[], nodeFlags: readonly string[] = HOLOTS_NODE_FLAGS): Side {
  const proc = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let rest = '';
  proc.stdout!.on('data', (d) => {
    rest += d;
    const parts = rest.split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
    for (const w of waiters) w();
  });
  proc.on('exit', () => { for (const w of waiters) w(); });
  return {
    proc, lines,
    waitLine(re, timeoutMs = 180_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit) { done(); resolve(hit); } else if (proc.exitCode !== null) { done(); reject(new Error(`${args.join(' ')} exited (${proc.exitCode}) before ${re}`)); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`timed out waiting for ${re} from ${args.join(' ')}`)); }, timeoutMs);
        const done = () => { clearTimeout(timer); waiters.delete(check); };
        waiters.add(check);
        check();
      });
    },
  };
}

interface Row {
  transport: string;
  resolution: string;
  frames: number;
  /** Frames the source made that never reached the sink inside the window (any cause). */
  missing: number;
  p50: number;
  p99: number;
  cpu: Record<string, number>;
  droppedToFlowControl?: number;
  /** Every round's p50, in the order run (the row itself is the median round). */
  roundsP50?: number[];
}

/** Runs until the receiver's window closes; CPU of each measured pid over exactly that window. */
async function measure(transport: string, resolution: string, receiver: Side, pids: Record<string, number>): Promise<Row> {
  await receiver.waitLine(/^window start$/);
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)]));
  await receiver.waitLine(/^window end$/, 60_000);
  const after = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuMs(pid)]));
  const result = JSON.parse(await receiver.waitLine(/^\{/)) as { frames: number; missing: number; latencies: number[] };
  const lat = summarize(result.latencies);
  const cpu = Object.fromEntries(Object.keys(pids).map((k) => [k, (after[k] - before[k]) / result.frames]));
  return { transport, resolution, frames: result.frames, missing: result.missing, p50: lat.median, p99: lat.p99, cpu };
}

const exited = (s: Side) => new Promise((r) => (s.proc.exitCode !== null ? r(null) : s.proc.once('exit', r)));

const FLOWS = !process.argv.includes('--sessions-only');
const SESSIONS = !process.argv.includes('--flows-only');
/** Streams per row: modest, the machine has 2 cores. */
const STREAMS = QUICK ? [2] : [2, 4];

/**
 * A row of two processes: the receiver first (it prints "ready"), then the sender; both stopped after the
 * window. `fragments`: the sender is a holots fragment and reports what its flow queue dropped.
 */
async function pairRow(transport: string, res: string, recvArgs: string[], sendArgs: string[], o: { viaNats: boolean; fragments?: boolean; nodeFlags?: readonly string[] }): Promise<Row> {
  const recv = side(recvArgs, o.nodeFlags);
  await recv.waitLine(/^ready$/);
  const send = side(sendArgs, o.nodeFlags);
  const row = await measure(transport, res, recv, { sender: send.proc.pid!, receiver: recv.proc.pid!, ...(o.viaNats ? { 'nats-server': nats.pid } : {}) });
  send.proc.kill('SIGINT');
  if (o.fragments) row.droppedToFlowControl = (JSON.parse(await send.waitLine(/^\{/)) as { drops: number }).drops;
  await Promise.all([exited(send), exited(recv)]);
  return row;
}

/** One round of every transport at one size, each in fresh processes, in the same order every round. */
async function flowRound(w: number, h: number, round: number): Promise<Row[]> {
  const rows: Row[] = [];
  const res = `${h}p30`;
  const size = [String(w), String(h)];
  console.log(`\n${res}, round ${round} of ${ROUNDS}: one process`);
  const local = side(['local', ...size]);
  rows.push(await measure('one process', res, local, { process: local.proc.pid! }));
  await exited(local);

  console.log(`${res}: NATS between two fragments`);
  rows.push(await pairRow('NATS (two fragments)', res, ['nats-recv', ...size, nats.url], ['nats-send', ...size, nats.url], { viaNats: true, fragments: true }));

  console.log(`${res}: NATS between two fragments, processes started without holots' Node flags`);
  rows.push(await pairRow('NATS (two fragments), no Node flags', res, ['nats-recv', ...size, nats.url], ['nats-send', ...size, nats.url], { viaNats: true, fragments: true, nodeFlags: [] }));

  console.log(`${res}: the NATS client alone (no framework, no credit) between two processes`);
  rows.push(await pairRow('NATS client alone', res, ['raw-recv', ...size, nats.url], ['raw-send', ...size, nats.url], { viaNats: true }));

  console.log(`${res}: the NATS client alone, each frame in chunks of ${CHUNK_BYTES} bytes`);
  rows.push(await pairRow('NATS client alone, chunked', res, ['raw-recv-chunked', ...size, nats.url], ['raw-send-chunked', ...size, nats.url, String(CHUNK_BYTES)], { viaNats: true }));

  console.log(`${res}: plain TCP socket between two processes`);
  const port = String(await freePort());
  rows.push(await pairRow('TCP socket', res, ['tcp-recv', ...size, port], ['tcp-send', ...size, port], { viaNats: false }));
  return rows;
}

const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
const rows: Row[] = [];
const sessionRows: SessionsRow[] = [];
const nats = await startNatsServer();
try {
  for (const [w, h] of FLOWS ? [[1280, 720], [1920, 1080]] : []) {
    const rounds: Row[][] = [];
    for (let round = 1; round <= ROUNDS; round++) rounds.push(await flowRound(w, h, round));
    // Each transport's median round by p50: one process, or a pair of them, settles into a cheap or a
    // costly garbage-collection state for its whole life (docs/benchmarks.md), so one round is a coin flip.
    for (let k = 0; k < rounds[0].length; k++) {
      const runs = rounds.map((r) => r[k]).sort((a, b) => a.p50 - b.p50);
      rows.push({ ...runs[Math.floor((runs.length - 1) / 2)], roundsP50: rounds.map((r) => r[k].p50) });
    }
  }
  for (const streams of SESSIONS ? STREAMS : []) {
    for (const workers of [1, 2]) {
      console.log(`\nsessions: ${streams} WHIP publishers of 720p30 H264, ${workers} ingest worker(s)`);
      sessionRows.push(await measureSessions(nats.url, workers, streams, Number(process.env.BENCH_WARMUP_MS), Number(process.env.BENCH_WINDOW_MS)));
    }
  }
} finally {
  await nats.stop();
}

const load = os.loadavg().map((l) => l.toFixed(1)).join(' / ');
const f = (v: number) => v.toFixed(2);
const total = (r: Row) => Object.values(r.cpu).reduce((a, b) => a + b, 0);
const head = ['flow', 'frames', 'p50 ms', 'p50 of each round', 'p99 ms', 'CPU ms/frame (all)', 'sender', 'receiver', 'nats-server', 'vs TCP: p50', 'vs TCP: CPU', 'frames missing at the sink', 'of them dropped to flow control (whole run)'];
const body = rows.map((r) => {
  const tcp = rows.find((t) => t.transport === 'TCP socket' && t.resolution === r.resolution);
  return [
    `${r.resolution} ${r.transport}`, String(r.frames), f(r.p50), (r.roundsP50 ?? []).map((v) => v.toFixed(1)).join(' / '), f(r.p99), f(total(r)),
    r.cpu.sender !== undefined ? f(r.cpu.sender) : r.cpu.process !== undefined ? `${f(r.cpu.process)} (both)` : '',
    r.cpu.receiver !== undefined ? f(r.cpu.receiver) : '',
    r.cpu['nats-server'] !== undefined ? f(r.cpu['nats-server']) : '',
    tcp ? `${(r.p50 / tcp.p50).toFixed(2)}x` : '', tcp ? `${(total(r) / total(tcp)).toFixed(2)}x` : '', String(r.missing),
    r.droppedToFlowControl !== undefined ? String(r.droppedToFlowControl) : '',
  ];
});
const sHead = ['ingest workers', 'streams (connected, retried)', 'held per worker', 'fps sent per stream', 'fps decoded per stream: min / mean', 'CPU per worker, % of a core', 'worker CPU per stream', 'vs 1 worker: CPU per stream'];
const sBody = sessionRows.map((r) => {
  const perStream = (x: SessionsRow) => Object.values(x.cpuPct).reduce((a, b) => a + b, 0) / Math.max(1, x.connected);
  const one = sessionRows.find((o) => o.workers === 1 && o.streams === r.streams);
  return [
    String(r.workers), `${r.streams} (${r.connected}, ${r.retried})`, Object.entries(r.held).map(([k, v]) => `${k}: ${v}`).join(', '), r.sentFps.toFixed(1),
    r.fps.length ? `${Math.min(...r.fps).toFixed(1)} / ${(r.fps.reduce((a, b) => a + b, 0) / r.fps.length).toFixed(1)}` : '-',
    Object.entries(r.cpuPct).map(([k, v]) => `${k}: ${v.toFixed(0)}`).join(', '), `${perStream(r).toFixed(0)} %`,
    one ? `${(perStream(r) / perStream(one)).toFixed(2)}x` : '',
  ];
});
if (rows.length) console.log('\n' + formatTable(head, body));
if (sessionRows.length) console.log('\n' + formatTable(sHead, sBody));
console.log(`load average (1/5/15 min) at the start: ${loadAtStart}, at the end: ${load}`);
// A partial run (--flows-only, --sessions-only) prints its table but leaves the results of the last full run.
if (!FLOWS || !SESSIONS) process.exit(0);
writeResults('fragments', { rows, sessionRows, loadavgStart: loadAtStart, loadavg: os.loadavg() });
const bitrate = sessionRows[0]?.bitrateKbps;
writeMarkdown('fragments', `${rows.length ? formatMarkdownTable(head, body) : ''}

${sessionRows.length ? `${formatMarkdownTable(sHead, sBody)}

Sessions: the seed app split as it ships (web, ingest x1 or x2, viz headless at 320x240 rendering at most 5/s), N WHIP publishers (one process, not measured) of a 720p30 H264 clip encoded once at ${bitrate} kbps (moving pattern over a noise band) and sent without re-encoding; fps from each session's frames decoded over the window (/stats), CPU of each worker process from /proc.` : ''}

${describeMachine()}; load average (1/5/15 min) ${loadAtStart} at the start of the run and ${load} at its end (the machine is shared: ratios within the run are what count).
Each flow row: the median by p50 of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'}, each in fresh processes (every round's p50 in its column); a ${Number(process.env.BENCH_WINDOW_MS) / 1000} s window after ${Number(process.env.BENCH_WARMUP_MS) / 1000} s of warm-up${QUICK ? ' (--quick)' : ''}; latency from the source's emit to the sink's compute on the wall clock; CPU of each process from /proc over the same window, divided by the frames received. Every process ran with the holots command's Node flags (${HOLOTS_NODE_FLAGS.join(' ')}), baselines included, except in the "no Node flags" rows.
`);
