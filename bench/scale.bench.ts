/**
 * Streams per machine (issue 15): how many concurrent webcam-like 720p30 H.264 streams one receiver holds.
 *
 * For each system under test, one after the other in the same run, each receiver in a process of its own:
 * - holots with session workers off (`session_workers: 0`), 1 and 2: bench/receivers/holots-receiver.ts
 *   (WebRTCClientOp -> a sink that reads each picture's latency from its RTP timestamp);
 * - the seed's stack: bench/seed/answerer.py (aiortc + PyAV: recv() + to_rgb().to_ndarray() per stream on a
 *   thread, as the seed operator; ICE on 127.0.0.1 only);
 * - the floor, once per run: bench/receivers/decode-floor.ts, node-av decoding the senders' own clip from
 *   memory in a process of its own (CPU ms per picture), so the table gives each system against decoding alone.
 * The publishers are bench/senders/clip-sender.ts in another process: the same pre-encoded clip (~2 Mbps, a keyframe
 * every 2 s and on PLI) sent by werift without re-encoding, RTP stamped with the wall clock.
 *
 * N rises in steps; at each step the new streams join, the bench waits for them to settle, then measures a
 * window: pictures per stream reaching the receiver's consumer (the holots graph's sink; the seed's compute
 * loop), latency (sender's clock at sending -> picture in the consumer's hands) p95, the receiver's CPU from
 * /proc (all its threads), and the keyframe requests the senders got. A step passes when every stream has
 * >= 29 fps and p95 <= 100 ms; the most streams is the last passing N. After the first failing step the run
 * goes on to 1.5x the limit, to show what happens past it (the goal: every stream keeps delivering, no storm).
 *
 * Usage: node --import tsx bench/scale.bench.ts [--quick] [--systems holots-0,holots-1,holots-2,seed]
 *        [--step 4] [--start 4] [--max 64] [--settle-ms 6000] [--window-ms 10000]
 *   --quick: N = 2 then 4 per system with short windows: proves the pipeline end to end (no figures).
 * Writes bench/results/scale.json and bench/results/scale.md.
 */
import os from 'node:os';
import type { SessionStats } from '../operators/messages/index.ts';
import {
  ClipSenders, describeMachine, formatMarkdownTable, formatTable, processCpuMs, quantileOfSorted, sorted,
  startHolotsReceiver, startSeedReceiver, writeMarkdown, writeResults, type ClipInfo, type ReceiverProcess,
} from './lib/index.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const num = (name: string, dflt: number) => Number(opt(name, String(dflt)));
const SYSTEMS = opt('--systems', 'holots-0,holots-1,holots-2,seed').split(',');
const STEP = num('--step', QUICK ? 2 : 4);
const START = num('--start', QUICK ? 2 : 4);
const MAX = num('--max', QUICK ? 4 : 64);
const SETTLE_MS = num("--settle-ms", 6000);
const WINDOW_MS = num('--window-ms', QUICK ? 4000 : 10_000);
const MIN_FPS = 29;
const MAX_P95_MS = 100;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

interface Step {
  system: string;
  streams: number;
  windowMs: number;
  fpsMin: number;
  fpsMean: number;
  /** Streams that delivered no picture at all in the window. */
  silent: number;
  latencyP50: number;
  latencyP95: number;
  cpuCores: number;
  cpuMsPerFrame: number;
  /** % of one core per stream. */
  cpuPerStream: number;
  senderCores: number;
  plisPerStream: number;
  pass: boolean;
  loadavg: number[];
}

interface ReceiverStats { frames: number; samples: number[][]; streams: Record<string, number>; receiver?: SessionStats[] }

async function startSystem(system: string): Promise<ReceiverProcess> {
  if (system === 'seed') return startSeedReceiver(['--clock', 'rtp']);
  const workers = /^holots-(\d+|auto)$/.exec(system)?.[1];
  if (workers === undefined) throw new Error(`unknown system '${system}' (holots-0, holots-1, holots-2, holots-auto, seed)`);
  return startHolotsReceiver(['--clock', 'rtp', '--max-sessions', String(MAX * 2), '--session-workers', workers]);
}

/** What the senders really sent (measured from the encoded clip). */
let clip: Partial<ClipInfo> = {};

/** The decode-only floor (bench/receivers/decode-floor.ts): node-av decoding the senders' own clip from memory, in a process of its own. */
interface Floor { cpuMsPerFrame: number; pictures: number; errors: number; loadavg: number[] }
let floor = null as Floor | null;
async function measureFloor(senders: ClipSenders): Promise<void> {
  // About 10 s of pictures at 30 fps, so it is measured over about as many frames as a window.
  const f = await senders.decodeFloor(Math.max(1, Math.round(300 / (clip.frames ?? 300))));
  floor = { cpuMsPerFrame: r2(f.cpuMsPerFrame), pictures: f.pictures, errors: f.errors, loadavg: os.loadavg().map(r1) };
  console.log(`floor: node-av decoding the clip from memory, ${floor.cpuMsPerFrame} CPU ms/frame over ${f.pictures} pictures (${f.errors} errors), load ${floor.loadavg.join(' ')}`);
}

async function measureSystem(system: string): Promise<Step[]> {
  const receiver = await startSystem(system);
  const senders = await ClipSenders.start();
  clip = senders.clip;
  if (!floor) await measureFloor(senders);
  const url = `${receiver.url}/offer`;
  const steps: Step[] = [];
  const ids: string[] = [];
  let limit = 0;
  let end = MAX;
  try {
    for (let n = START; n <= end; n += STEP) {
      const { added } = await senders.ask<{ added: string[] }>({ cmd: 'add', count: n - ids.length, url });
      ids.push(...added);
      await sleep(SETTLE_MS);
      await receiver.call('/reset', {});
      const plis0 = (await senders.ask<{ plis: number }>({ cmd: 'stats' })).plis;
      const cpu0 = processCpuMs(receiver.pid), scpu0 = processCpuMs(senders.pid), t0 = performance.now();
      await sleep(WINDOW_MS);
      const stats = await receiver.call<ReceiverStats>('/stats');
      const cpu1 = processCpuMs(receiver.pid), scpu1 = processCpuMs(senders.pid), t1 = performance.now();
      const plis1 = (await senders.ask<{ plis: number }>({ cmd: 'stats' })).plis;
      const windowMs = t1 - t0;
      const fps = ids.map((id) => ((stats.streams[id] ?? 0) * 1000) / windowMs);
      const lat = sorted(stats.samples.map((s) => s[0]));
      const frames = fps.reduce((a, b) => a + b, 0) * (windowMs / 1000);
      const cpuMs = cpu1 - cpu0;
      const step: Step = {
        system, streams: ids.length, windowMs: Math.round(windowMs),
        fpsMin: r1(Math.min(...fps)), fpsMean: r1(fps.reduce((a, b) => a + b, 0) / fps.length), silent: fps.filter((f) => f === 0).length,
        latencyP50: r1(lat.length ? quantileOfSorted(lat, 0.5) : NaN), latencyP95: r1(lat.length ? quantileOfSorted(lat, 0.95) : NaN),
        cpuCores: r2(cpuMs / windowMs), cpuMsPerFrame: r2(frames ? cpuMs / frames : NaN), cpuPerStream: r1((cpuMs / windowMs / ids.length) * 100),
        senderCores: r2((scpu1 - scpu0) / windowMs), plisPerStream: r1((plis1 - plis0) / ids.length),
        pass: false, loadavg: os.loadavg().map(r1),
      };
      step.pass = step.fpsMin >= MIN_FPS && step.latencyP95 <= MAX_P95_MS;
      steps.push(step);
      console.log(`${system} N=${step.streams}: fps min ${step.fpsMin} mean ${step.fpsMean}, p95 ${step.latencyP95} ms, ${step.cpuCores} cores (${step.cpuPerStream} % per stream), sender ${step.senderCores} cores, PLIs/stream ${step.plisPerStream}, load ${step.loadavg.join(' ')} -> ${step.pass ? 'pass' : 'FAIL'}`);
      if (step.pass && end === MAX) limit = step.streams;
      // Past the limit: on to 1.5x it, to show how streams degrade there.
      if (!step.pass && end === MAX && !QUICK) end = Math.min(MAX, Math.max(n, Math.ceil((limit || n) * 1.5)));
    }
  } finally {
    await senders.ask({ cmd: 'close' }).catch(() => undefined);
    await senders.stop();
    await receiver.stop();
  }
  return steps;
}

const all: Record<string, Step[]> = {};
for (const system of SYSTEMS) {
  console.log(`\n=== ${system}`);
  all[system] = await measureSystem(system);
}

const mostStreams = (steps: Step[]) => steps.filter((s) => s.pass).reduce((m, s) => Math.max(m, s.streams), 0);
const seedMost = all.seed ? mostStreams(all.seed) : 0;
const floorRow = floor as Floor | null; // set inside measureSystem, which TypeScript's narrowing cannot see
const seedAtLimit = all.seed?.find((s) => s.streams === seedMost);
const summaryHead = ['system', 'most streams (>= 29 fps, p95 <= 100 ms)', 'vs seed', 'CPU per stream at the limit (% of a core)', 'CPU ms/frame at the limit', 'vs seed (CPU/frame)', 'vs floor (CPU/frame)'];
const summaryRows = [...SYSTEMS.map((system) => {
  const most = mostStreams(all[system]);
  const at = all[system].find((s) => s.streams === most);
  const ratio = (base: number | undefined) => (at && base ? `${r2(at.cpuMsPerFrame / base)}x` : '-');
  return [system, String(most), seedMost && most ? `${r2(most / seedMost)}x` : '-', at ? String(at.cpuPerStream) : '-', at ? String(at.cpuMsPerFrame) : '-', ratio(seedAtLimit?.cpuMsPerFrame), ratio(floorRow?.cpuMsPerFrame)];
}), ...(floorRow ? [['floor (node-av decode only, from memory)', '-', '-', '-', String(floorRow.cpuMsPerFrame), '-', '1x']] : [])];
const stepHead = ['system', 'N', 'fps min / mean', 'silent', 'latency p50 / p95 ms', 'receiver cores', 'CPU % per stream', 'CPU ms/frame', 'PLIs per stream', 'sender cores', 'load avg', 'pass'];
const stepRows = SYSTEMS.flatMap((system) => all[system].map((s) => [
  system, String(s.streams), `${s.fpsMin} / ${s.fpsMean}`, String(s.silent), `${s.latencyP50} / ${s.latencyP95}`, String(s.cpuCores), String(s.cpuPerStream),
  String(s.cpuMsPerFrame), String(s.plisPerStream), String(s.senderCores), s.loadavg.join(' '), s.pass ? 'yes' : 'no',
]));

/** CPU ms per frame against N, one line per system, over the steps every system measured. */
function chart(): string {
  const common = [...new Set(Object.values(all).flatMap((steps) => steps.map((s) => s.streams)))].filter((n) => SYSTEMS.every((sys) => all[sys].some((s) => s.streams === n))).sort((a, b) => a - b);
  if (common.length < 2) return '';
  const lines = SYSTEMS.map((sys) => `  line [${common.map((n) => all[sys].find((s) => s.streams === n)!.cpuMsPerFrame).join(', ')}]`);
  const top = Math.ceil(Math.max(...SYSTEMS.flatMap((sys) => all[sys].map((s) => s.cpuMsPerFrame)).filter(Number.isFinite)) * 1.2);
  return ['```mermaid', 'xychart-beta', `  title "Receiver CPU ms per frame as streams grow (lines: ${SYSTEMS.join(', ')})"`, `  x-axis "streams" [${common.join(', ')}]`, `  y-axis "CPU ms per frame" 0 --> ${top}`, ...lines, '```'].join('\n');
}

const md = [
  `Measured ${new Date().toISOString().slice(0, 16)}Z on ${describeMachine()}${QUICK ? ' (**--quick**: pipeline check, not figures)' : ''}; load average at the end ${os.loadavg().map(r1).join(' ')}.`,
  `Each stream: ${clip.width}x${clip.height} H.264 at ${clip.fps} fps, ${clip.kbps} kbps (${clip.packetsPerFrame} packets a frame, a keyframe every ${clip.keyframeEvery} frames and on PLI), from one werift sender process; window ${WINDOW_MS} ms after ${SETTLE_MS} ms to settle.`,
  '',
  formatMarkdownTable(summaryHead, summaryRows),
  '',
  formatMarkdownTable(stepHead, stepRows),
  '',
  chart(),
].join('\n');
console.log('\n' + formatTable(summaryHead, summaryRows) + '\n\n' + formatTable(stepHead, stepRows));
writeResults('scale', { quick: QUICK, clip, windowMs: WINDOW_MS, settleMs: SETTLE_MS, floor, steps: all });
writeMarkdown('scale', md);
