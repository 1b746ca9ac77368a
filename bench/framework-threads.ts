/**
 * Worker-thread rows of the framework bench (issue 10): a CPU-heavy TypeScript operator (BlurOp, a 5x5
 * box blur of 720p luma) on the main thread, on a pool of 1 and of 2 threads; and the cost of a hop
 * across a thread at 720p beside the in-thread hop. Imported by framework.bench.ts; it also defines the
 * operators the pools load, so it does nothing at import time.
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
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { Application, defineOperator, port, type OperatorContext } from '../framework/index.ts';
import { VideoFrame } from '../operators/messages/index.ts';
import { blur5x5, BlurOp } from '../test/framework/fixtures/workers/blur.ts';
import { gradientFrame } from '../test/framework/fixtures/workers/frames.ts';
import { processCpuMs, summarize, type Summary } from './lib/index.ts';

const W = 1280;
const H = 720;
const WARMUP = 24;
const FRAMES = 100;
const HOP_WARMUP = 20;
const HOP_SAMPLES = 300;

/** Forwards a frame unchanged: what is left is the cost of getting there and back. */
export const PassFrameOp = defineOperator({
  name: 'BenchPassFrameOp',
  module: import.meta.url,
  params: z.object({}).strict(),
  inputs: { in: port(VideoFrame) },
  outputs: { out: port(VideoFrame) },
  compute({ in: f }, emit) { emit.out(f); },
});

export interface BlurRun { where: string; fps: number; cpuMsPerFrame: number; mainThreadCpuMsPerFrame: number; firstFrameMs: number }

async function blurRun(where: 'main' | 'pool 1' | 'pool 2', template: VideoFrame, expected: Uint8Array): Promise<BlurRun> {
  const arrivals: number[] = [];
  let cpuAtFirst = 0;
  let mainAtFirst = 0;
  let mainAtLast = 0;
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
      if (arrivals.length === WARMUP) { cpuAtFirst = cpuMs(); mainAtFirst = mainThreadCpuMs(); }
      if (arrivals.length === WARMUP + FRAMES) mainAtLast = mainThreadCpuMs();
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
  const cpu = cpuMs() - cpuAtFirst;
  const seconds = (arrivals[arrivals.length - 1] - arrivals[WARMUP - 1]) / 1000;
  return { where, fps: FRAMES / seconds, cpuMsPerFrame: cpu / FRAMES, mainThreadCpuMsPerFrame: (mainAtLast - mainAtFirst) / FRAMES, firstFrameMs: arrivals[0] - t0 };
}

/** A Buffer over the same memory (Buffer.from(typedArray) would copy 0.9 MB per check). */
function bytes(a: Uint8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** The main thread's own CPU (its tid is the pid), ms; -1 where /proc is missing. */
function mainThreadCpuMs(): number {
  try { return processCpuMs(process.pid, process.pid); } catch { return -1; }
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface HopRun { where: string; latencyMs: Summary }

async function hopRun(where: 'main' | 'pool (moved)' | 'pool (copied views)'): Promise<HopRun> {
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

export interface ThreadResults {
  loadavgBefore: number[];
  loadavgAfter: number[];
  blur: { repeats: BlurRun[][]; medianFps: Record<string, number>; ratioToMain: Record<string, number> };
  hop: HopRun[];
}

/** Runs main / pool 1 / pool 2 interleaved, `repeats` times, then the hop rows. */
export async function benchThreads(repeats: number): Promise<ThreadResults> {
  const loadavgBefore = os.loadavg();
  const template = gradientFrame(W, H, 3);
  const expected = blur5x5(template.planes[0].data, W, H, W);
  const runs: BlurRun[][] = [];
  for (let r = 0; r < repeats; r++) {
    runs.push([await blurRun('main', template, expected), await blurRun('pool 1', template, expected), await blurRun('pool 2', template, expected)]);
  }
  const med = (where: string) => {
    const v = runs.map((rs) => rs.find((x) => x.where === where)!.fps).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  const medianFps = { main: med('main'), 'pool 1': med('pool 1'), 'pool 2': med('pool 2') };
  const ratioToMain = { main: 1, 'pool 1': medianFps['pool 1'] / medianFps.main, 'pool 2': medianFps['pool 2'] / medianFps.main };
  const hop = [await hopRun('main'), await hopRun('pool (moved)'), await hopRun('pool (copied views)')];
  return { loadavgBefore, loadavgAfter: os.loadavg(), blur: { repeats: runs, medianFps, ratioToMain }, hop };
}

export function threadTables(t: ThreadResults): { blur: [string[], string[][]]; hop: [string[], string[][]] } {
  const med = (where: string, key: 'cpuMsPerFrame' | 'mainThreadCpuMsPerFrame' | 'firstFrameMs') => {
    const v = t.blur.repeats.map((rs) => rs.find((x) => x.where === where)![key]).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  const blurHead = ['BlurOp (5x5, 720p luma), steady state', 'frames/s', 'ratio to main', 'process CPU ms/frame', 'of it main thread', 'first frame after run()', 'goal: pool 2 >= 1.7x main'];
  const blurRows = (['main', 'pool 1', 'pool 2'] as const).map((w) => [
    w === 'main' ? 'main thread' : `pool of ${w.slice(5)} thread${w === 'pool 2' ? 's' : ''}`,
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

export function describeLoad(t: ThreadResults): string {
  const f = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  return `load average (1/5/15 min) ${f(t.loadavgBefore)} before, ${f(t.loadavgAfter)} after, on ${os.cpus().length} cores`;
}
