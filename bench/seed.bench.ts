/**
 * holots beside the seed's own stack (issue 6, reworked in issue 15).
 *
 * Side by side, per codec (VP8, H264) and size (480p, 720p, 1080p), one stream at a time into each receiver
 * in turn (never both at once), alternating which goes first, every one a process of its own:
 * - the sender: bench/senders/clip-sender.ts (the same cheap publisher as bench:scale): a webcam-like clip
 *   (testkit/clip.ts `camera` content: a detailed scene panning, fresh sensor grain in a band, a moving bar)
 *   encoded once per row with node-av (libx264 or libvpx, live settings) at a webcam's bitrate, a keyframe
 *   every 2 s, packetized once and sent by werift without re-encoding, its RTP timestamps the wall clock;
 * - holots: bench/receivers/holots-receiver.ts (WebRTCClientOp -> a sink);
 * - seed: bench/seed/answerer.py (aiortc + PyAV under Debian's /usr/bin/python3: the seed operator's
 *   recv() + to_rgb().to_ndarray(); ICE on 127.0.0.1 only, as holots);
 * - the floor: bench/receivers/decode-floor.ts, node-av decoding the very same encoded clip from memory;
 * - werift alone: bench/receivers/werift-alone.ts, holots' WebRTCSession dropping every packet before the
 *   frame assembler (the transport floor: what werift's receive path costs with no assembling, decoding or
 *   graph). The decode floor plus werift alone is the least any receiver on werift and node-av can spend.
 * CPU of each receiver is its own process's, from /proc/<pid>/stat; this driver and the sender are charged
 * to none. Figures: what was really sent (kbps, size, fps), pictures/s delivered, CPU ms per frame,
 * latency (the sender's clock when it sent the frame -> the picture in the consumer's hands) p50/p95; the
 * median of REPEATS repeats.
 *
 * End to end (latency and drops, not a CPU comparison: it runs in this process): Chromium -> WebRTCClientOp ->
 * HolovizOp (headless EGL, render_buffer_output) -> a sink that reads the time code from the rendered RGBA
 * picture: latency p50/p95 with a per-stage breakdown, dropped frames, and RSS at the first frame and after a
 * soak (45 s by default). --long runs only a 5-minute soak and writes bench/results/seed-long.json.
 *
 * Usage: node --import tsx bench/seed.bench.ts [--quick] [--side-only] [--long] [--measure-ms N] [--repeats N]
 *        [--e2e-ms N] [--soak-ms N] [--process-warmup-ms N]
 *   --quick: 720p and 1080p only, one repeat of 2 s windows, 3 s end-to-end rows, a 5 s soak: proves the
 *   whole bench end to end (not figures).
 * Writes bench/results/seed.json (raw samples) and bench/results/seed.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Application, defineOperator, port } from '../framework/index.ts';
import { HolovizOp } from '../operators/holoviz/index.ts';
import { VideoFrame, type SignalingReply } from '../operators/messages/index.ts';
import { WebRTCClientOp } from '../operators/webrtc/index.ts';
import { launchSender, makeSignalingInjector, startSession, stopSession, type PlainRequest, type SenderBrowser } from '../testkit/webrtc-sender.ts';
import { readTimeCodeAny, wallNow } from '../testkit/timecode.ts';
import { waitFor } from '../testkit/wait.ts';
import {
  ClipSenders, describeMachine, formatMarkdownTable, formatTable, median, ownCpuMs, processCpuMs, processRssMiB, quantileOfSorted,
  sorted, startHolotsReceiver, startSeedReceiver, startWeriftAlone, SEED_PYTHON, writeMarkdown, writeResults, type ClipInfo, type ReceiverProcess, type SenderStats,
} from './lib/index.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const arg = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const LONG = argv.includes('--long');
/** Only the side-by-side rows (no end-to-end rows, no soak): a quicker run. */
const SIDE_ONLY = argv.includes('--side-only');
const MEASURE_MS = arg('--measure-ms', QUICK ? 2000 : 5000);
const WARMUP_MS = QUICK ? 1000 : 2000;
/**
 * Each receiver process takes one stream this long before its first window: V8 compiles werift's and
 * holots' hot paths only after many packets (a fresh holots receiver at H264 720p spends about 4.8 ms a
 * frame in its first 10 s, 3.7 ms after 30 s, then holds at 3.2-3.4), and the figures should be a running
 * server's, not a starting one's. The seed's Python has no JIT; it gets the same stream all the same.
 */
const PROCESS_WARMUP_MS = arg('--process-warmup-ms', QUICK ? 3000 : 30_000);
const REPEATS = arg('--repeats', QUICK ? 1 : 3);
const E2E_MS = arg('--e2e-ms', QUICK ? 3000 : 8000);
const SOAK_MS = LONG ? 300_000 : arg('--soak-ms', QUICK ? 5000 : 45_000);
const CODECS = ['VP8', 'H264'] as const;
const FPS = 30;
/** Width, height and the clip's target bitrate (kbps): a webcam's. */
const SIZES = ([[640, 480, 1200], [1280, 720, 2000], [1920, 1080, 4000]] as const).filter(([, h]) => !QUICK || h >= 720);
/** Keyframe spacing of the clip (s); the clip is a whole number of such groups, so it loops without an odd one. */
const GOP_S = 2;
const CLIP_FRAMES = 3 * GOP_S * FPS;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

type Codec = (typeof CODECS)[number];
interface Config { codec: Codec; width: number; height: number }
const sizeName = (c: { width: number; height: number }) => `${c.height}p`;
const pct = (xs: number[], q: number) => quantileOfSorted(sorted(xs), q);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** One measured window of one stack. */
interface Run {
  stack: 'holots' | 'seed' | 'werift' | 'floor' | 'holots e2e' | 'holots e2e no readback';
  codec: Codec;
  size: string;
  repeat: number;
  wallMs: number;
  frames: number;
  fps: number;
  cpuMs: number;
  cpuMsPerFrame: number;
  latencyP50: number;
  latencyP95: number;
  damaged: number;
  sender: SenderWindow;
  loadavg: number[];
  /** Per-frame stage samples (ms), keyed by stage name; `latency` is the whole. */
  samples: Record<string, number[]>;
  extra?: Record<string, number | string>;
}

/** What the sender really sent in the window; `limit` is Chromium's quality limitation (the clip sender has none). */
interface SenderWindow { framesEncoded: number; kbps: number; fps: number; width: number; height: number; limit: string }

// ---- side by side: one clip sender process per row, each receiver a process of its own ----
interface RxStats { frames: number; damaged: number; samples: number[][] }

function clipWindow(a: SenderStats, b: SenderStats, wallMs: number): SenderWindow {
  return {
    framesEncoded: b.framesSent - a.framesSent, kbps: r1(((b.bytesSent - a.bytesSent) * 8) / wallMs),
    fps: r1(((b.framesSent - a.framesSent) * 1000) / wallMs), width: b.clip.width, height: b.clip.height, limit: 'none',
  };
}

/** One stream from the clip sender into one receiver: a measured window of that receiver's process. */
async function runReceiver(rx: ReceiverProcess, senders: ClipSenders, cfg: Config, repeat: number, measureMs: number): Promise<Run> {
  await rx.call('/reset', {});
  const [id] = await senders.add(1, `${rx.url}/offer`);
  try {
    const t = Date.now();
    while ((await rx.call<RxStats>('/stats')).frames === 0) {
      if (Date.now() - t > 60_000) throw new Error(`${rx.name} ${cfg.codec} ${cfg.width}x${cfg.height}: no picture within 60 s`);
      await sleep(50);
    }
    await sleep(WARMUP_MS);
    const loadavg = os.loadavg();
    await rx.call('/reset', {});
    const s0 = await senders.stats();
    const cpu0 = processCpuMs(rx.pid);
    const main0 = processCpuMs(rx.pid, rx.pid);
    const t0 = performance.now();
    await sleep(measureMs);
    const cpu1 = processCpuMs(rx.pid);
    const main1 = processCpuMs(rx.pid, rx.pid);
    const wallMs = performance.now() - t0;
    const st = await rx.call<RxStats>('/stats');
    const s1 = await senders.stats();
    const latency = st.samples.map((x: number[]) => x[0]);
    const cpuMs = cpu1 - cpu0;
    return {
      stack: rx.name as Run['stack'], codec: cfg.codec, size: sizeName(cfg), repeat, wallMs, frames: st.frames, fps: r1((st.frames * 1000) / wallMs),
      cpuMs, cpuMsPerFrame: r2(cpuMs / Math.max(1, st.frames)), latencyP50: r1(pct(latency, 0.5)), latencyP95: r1(pct(latency, 0.95)),
      damaged: st.damaged, sender: clipWindow(s0, s1, wallMs), loadavg, samples: { latency },
      extra: { rssMiB: r1(processRssMiB(rx.pid)), cpuMainPerFrame: r2((main1 - main0) / Math.max(1, st.frames)), plis: s1.plis - s0.plis },
    };
  } finally {
    await senders.closeAll();
    await rx.call('/close', { session_id: id }).catch(() => undefined);
  }
}

/** The floor: node-av decoding the sender's own encoded clip from memory, in a process of its own. */
async function runFloor(senders: ClipSenders, cfg: Config, clip: ClipInfo, like: Run | undefined, repeat: number): Promise<Run> {
  // About as many pictures as a receiver's window, and at least the whole clip.
  const loops = Math.max(1, Math.round((MEASURE_MS * FPS) / 1000 / clip.frames));
  const f = await senders.decodeFloor(loops);
  return {
    stack: 'floor', codec: cfg.codec, size: sizeName(cfg), repeat, wallMs: NaN, frames: f.pictures, fps: NaN, cpuMs: f.cpuMs, cpuMsPerFrame: r2(f.cpuMsPerFrame),
    latencyP50: NaN, latencyP95: NaN, damaged: f.errors, loadavg: os.loadavg(), samples: {},
    sender: like?.sender ?? { framesEncoded: 0, kbps: clip.kbps, fps: NaN, width: clip.width, height: clip.height, limit: 'none' },
    extra: { clipFrames: f.frames, decodeErrors: f.errors, pictureWidth: f.width, clipKbps: clip.kbps, loops },
  };
}

// ---- end to end: Chromium's page (launched only for these rows); its signaling goes to the graph under test ----
let forward: (r: PlainRequest) => Promise<SignalingReply> = async () => ({ ok: false, status: 503, error: 'no stack' });
let browser: SenderBrowser | null = null;
interface PageStats { framesEncoded: number; bytesSent: number; fps: number; w: number; h: number; limit: string }

async function senderStats(sessionId: string): Promise<PageStats> {
  const out = await browser!.page.evaluate((id) => (window as unknown as { senderStats(i: string): Promise<PageStats[] | null> }).senderStats(id), sessionId);
  if (!out?.length) throw new Error(`no outbound-rtp stats for session ${sessionId}`);
  return out[0];
}

function senderWindow(a: PageStats, b: PageStats, wallMs: number): SenderWindow {
  return {
    framesEncoded: b.framesEncoded - a.framesEncoded,
    kbps: r1(((b.bytesSent - a.bytesSent) * 8) / wallMs),
    fps: r1(((b.framesEncoded - a.framesEncoded) * 1000) / wallMs),
    width: b.w, height: b.h, limit: b.limit,
  };
}

async function open(cfg: Config): Promise<string> {
  const r = await startSession(browser!.page, { width: cfg.width, height: cfg.height, codec: cfg.codec, kind: 'offer', source: 'timecode', motion: true });
  if (!r.ok) throw new Error(`${cfg.codec} ${cfg.width}x${cfg.height}: ${r.status} ${r.error}`);
  return r.sessionId!;
}

// ---- holots ----
/** Stamps when a frame left WebRTCClientOp (the queue wait before HolovizOp starts here), and counts it. */
function tapOp(onFrame: () => void) {
  return defineOperator({
    name: 'BenchTap',
    params: z.object({}).strict(),
    inputs: { in: port(VideoFrame) },
    outputs: { out: port(VideoFrame) },
    compute({ in: f }, emit) { onFrame(); emit.out(f, { tapAt: wallNow() }); },
  });
}

interface Seen { latency: number; sender: number; assembleAndQueue: number; decode: number; renderQueueUploadDraw?: number; readbackDeliver?: number }

interface Counts { damaged: number; frames: number; tapped: number; tcs: Set<number>; widths: number[] }

function holotsSink(kind: 'receive' | 'e2e', seen: Seen[], counts: Counts) {
  return defineOperator({
    name: 'BenchTimeCodeSink',
    params: z.object({}).strict(),
    inputs: { in: port(VideoFrame) },
    compute({ in: f }, _e, ctx) {
      const now = wallNow();
      const m = ctx.metadata as Record<string, number>;
      counts.frames++;
      counts.widths.push(f.width);
      const tc = readTimeCodeAny(f);
      if (!tc.clean) { counts.damaged++; return; }
      counts.tcs.add(tc.ms);
      const s: Seen = { latency: now - tc.ms, sender: m.arrivalTime - tc.ms, decode: m.decodeMs, assembleAndQueue: 0 };
      if (kind === 'receive') s.assembleAndQueue = now - m.arrivalTime - m.decodeMs;
      else {
        const renderedAt = performance.timeOrigin + f.timestamp;
        s.assembleAndQueue = m.tapAt - m.arrivalTime - m.decodeMs;
        s.renderQueueUploadDraw = renderedAt - m.tapAt;
        s.readbackDeliver = now - renderedAt;
      }
      seen.push(s);
    },
  });
}

interface HolotsOpts {
  kind: 'receive' | 'e2e';
  measureMs: number;
  rssEveryMs?: number;
  /** e2e without render_buffer_output: frames are counted where they enter HolovizOp (no latency then). */
  noReadback?: boolean;
}

async function runHolots(cfg: Config, repeat: number, opts: HolotsOpts): Promise<Run> {
  const injector = makeSignalingInjector();
  const seen: Seen[] = [];
  const counts: Counts = { damaged: 0, frames: 0, tapped: 0, tcs: new Set<number>(), widths: [] };
  const readback = opts.kind === 'e2e' && !opts.noReadback;
  const app = new Application('seed_bench', { logLevel: 'error' });
  const rx = app.add('webrtc', WebRTCClientOp);
  app.addFlow(app.add('signaling', injector.op), rx);
  const sink = app.add('sink', holotsSink(opts.kind, seen, counts));
  if (opts.kind === 'receive') app.addFlow(rx, sink);
  else {
    // Once HolovizOp holds a frame, the tap waits (outputs gate on room downstream), so a frame that
    // cannot be shown in time is superseded in WebRTCClientOp's slot and counted there.
    const tap = app.add('tap', tapOp(() => { counts.tapped++; if (!readback) counts.frames++; }));
    const viz = app.add('holoviz', HolovizOp, {
      params: { headless: true, width: cfg.width, height: cfg.height, enable_render_buffer_output: readback, tensors: [{ name: 'video', type: 'color' }] },
    });
    app.addFlow(rx, tap).addFlow(tap, viz, [['out', 'receivers']]);
    if (readback) app.addFlow(viz, sink, [['render_buffer_output', 'in']]);
  }
  const running = app.run();
  forward = injector.send;
  let id = '';
  try {
    id = await open(cfg);
    await waitFor(`a first ${opts.kind} frame (${cfg.codec} ${cfg.width}x${cfg.height})`, () => counts.frames > 0, 15_000);
    const rssStart = process.memoryUsage().rss / 2 ** 20;
    await sleep(WARMUP_MS);
    const loadavg = os.loadavg();
    seen.length = 0; counts.damaged = 0; counts.frames = 0; counts.tapped = 0; counts.tcs.clear(); counts.widths.length = 0;
    const st0 = await statsOf(injector);
    const s0 = await senderStats(id);
    const cpu0 = ownCpuMs();
    const main0 = processCpuMs(process.pid, process.pid);
    const gc = { major: 0, minor: 0, pauseMs: 0 };
    const gcObs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gc.pauseMs += e.duration;
        if (((e as unknown as { detail?: { kind?: number } }).detail)?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gc.major++; else gc.minor++;
      }
    });
    gcObs.observe({ entryTypes: ['gc'] });
    const t0 = performance.now();
    const rss: number[][] = [];
    if (opts.rssEveryMs) {
      for (let t = 0; t < opts.measureMs; t += opts.rssEveryMs) {
        rss.push([Math.round(performance.now() - t0), r1(process.memoryUsage().rss / 2 ** 20)]);
        await sleep(Math.min(opts.rssEveryMs, opts.measureMs - t));
      }
    } else await sleep(opts.measureMs);
    const cpuMs = ownCpuMs() - cpu0;
    const mainMs = processCpuMs(process.pid, process.pid) - main0;
    const wallMs = performance.now() - t0;
    gcObs.disconnect();
    const frames = counts.frames;
    const rendered = readback ? counts.tcs.size : counts.tapped;
    const tapped = counts.tapped;
    const s1 = await senderStats(id);
    const st1 = await statsOf(injector);
    const rssEnd = process.memoryUsage().rss / 2 ** 20;
    const lat = seen.map((s) => s.latency);
    const samples: Record<string, number[]> = {};
    for (const k of Object.keys(seen[0] ?? {}) as (keyof Seen)[]) samples[k] = seen.map((s) => s[k] ?? NaN);
    const sender = senderWindow(s0, s1, wallMs);
    return {
      stack: opts.kind === 'receive' ? 'holots' : opts.noReadback ? 'holots e2e no readback' : 'holots e2e', codec: cfg.codec, size: sizeName(cfg), repeat, wallMs, frames,
      fps: r1((frames * 1000) / wallMs), cpuMs, cpuMsPerFrame: r2(cpuMs / Math.max(1, frames)),
      latencyP50: r1(pct(lat, 0.5)), latencyP95: r1(pct(lat, 0.95)), damaged: counts.damaged, sender, loadavg, samples,
      extra: {
        distinctTimeCodes: rendered,
        // Frames the receiver lost or replaced before anyone took them (broken, waiting for a keyframe, behind, superseded).
        receiverDropped: (st1.framesDropped - st0.framesDropped) + (st1.superseded - st0.superseded),
        encodedMinusShown: sender.framesEncoded - rendered,
        // Where this process's CPU went, ms per frame: the main thread (werift receive, SRTP, depacketize, graph,
        // GL on the e2e rows), decode (libuv pool; the decoder's own timing), the rest (V8's GC and compiler threads, llvmpipe).
        cpuMainPerFrame: r2(mainMs / Math.max(1, frames)),
        cpuDecodePerFrame: r2((samples.decode ?? []).reduce((a, b) => a + b, 0) / Math.max(1, samples.decode?.length ?? 0)),
        gcMajorPerS: r1((gc.major * 1000) / wallMs), gcMinorPerS: r1((gc.minor * 1000) / wallMs), gcPauseMsPerFrame: r2(gc.pauseMs / Math.max(1, frames)),
        rssStartMiB: r1(rssStart), rssEndMiB: r1(rssEnd), tapped, pictureWidth: median(counts.widths),
        ...(rss.length ? { rssSeries: JSON.stringify(rss) } : {}),
      },
    };
  } finally {
    if (id) await stopSession(browser!.page, id).catch(() => undefined);
    app.stop();
    await running;
  }
}

async function statsOf(injector: ReturnType<typeof makeSignalingInjector>): Promise<{ framesDropped: number; superseded: number }> {
  const r = await injector.send({ kind: 'stats' });
  const s = r.ok ? r.stats?.[0] : undefined;
  return { framesDropped: Number(s?.framesDropped ?? 0), superseded: Number(s?.superseded ?? 0) };
}

// ---- the runs ----
const started = Date.now();
console.log(`holots vs the seed stack — ${describeMachine()}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}${QUICK ? ' (--quick: a pipeline check, not figures)' : ''}`);
/**
 * Each stack in its best running state. holots and werift alone: one process each for the whole run, as a
 * server keeps running across streams of every size and codec, warmed up once (PROCESS_WARMUP_MS); nothing
 * in them depends on what they played before (until the fourth session a holots process that had played
 * 1080p ran a full GC every ~250 ms on a later 720p stream; the H264 720p row, which follows VP8 1080p,
 * shows whether that is back). The seed: a fresh process for each row, warmed up as long on that row's
 * stream, because its process does depend on its past: after 480p and 720p streams, a 1080p one cost it
 * 26 ms a frame with about 1000 page faults a frame (most likely glibc's allocator serving PyAV's 6 MB RGB
 * arrays by mmap), against 11-12 ms and none in a fresh process (2026-11-30).
 */
const startPersistent = async () => LONG ? [] : [await startHolotsReceiver(['--clock', 'rtp']), await startWeriftAlone()];
let persistent: ReceiverProcess[] = [];
let seed: ReceiverProcess | null = null;
let receivers: ReceiverProcess[] = [];
const stopReceivers = async () => {
  await Promise.all([...persistent, ...(seed ? [seed] : [])].map((rx) => rx.stop()));
  persistent = []; seed = null; receivers = [];
};
const runs: Run[] = [];
const clips: ClipInfo[] = [];
/** Windows that produced no figure, and why (shown with the results). */
const failures: string[] = [];
const log = (r: Run) => console.error(`  ${r.stack.padEnd(10)} ${r.codec} ${r.size} #${r.repeat}: ${r.fps} fps, ${r.cpuMsPerFrame} CPU ms/frame, latency ${r.latencyP50}/${r.latencyP95} ms, sender ${r.sender.fps} fps ${r.sender.kbps} kbps ${r.sender.width}x${r.sender.height}${r.damaged ? `, ${r.damaged} damaged` : ''}, load ${r.loadavg[0].toFixed(2)}`);
try {
  for (const codec of LONG ? [] : CODECS) {
    for (const [width, height, kbps] of SIZES) {
      const cfg = { codec, width, height };
      const senders = await ClipSenders.start({ codec, width, height, fps: FPS, frames: CLIP_FRAMES, kbps, gopS: GOP_S });
      clips.push(senders.clip);
      const freshPersistent = persistent.length === 0;
      if (freshPersistent) persistent = await startPersistent();
      const oldSeed = seed;
      seed = null; // so a failed start leaves nothing for stopReceivers() to stop twice
      await oldSeed?.stop();
      seed = await startSeedReceiver(['--clock', 'rtp']);
      receivers = [persistent[0], seed, persistent[1]];
      console.error(`  clip ${codec} ${height}p: ${senders.clip.kbps} kbps, ${senders.clip.frames} frames, ${senders.clip.keyframes} keyframes`);
      try {
        // A throwaway stream into each receiver first (PROCESS_WARMUP_MS long for a new process): werift,
        // aiortc and their decoders warm up on it. Then each repeat runs every receiver once.
        for (const rx of receivers) await runReceiver(rx, senders, cfg, -1, freshPersistent || rx === seed ? PROCESS_WARMUP_MS : 1000).catch((err: Error) => console.error(`  warm-up: ${err.message}`));
        let holotsRun: Run | undefined;
        for (let rep = 0; rep < REPEATS; rep++) {
          // Rotate which stack goes first, so none always meets the machine in the same state.
          const first = (rep + CODECS.indexOf(codec)) % receivers.length;
          const order = [...receivers.slice(first), ...receivers.slice(0, first)];
          for (const rx of order) {
            // A window that fails (e.g. no picture on a starved machine) is reported and the run goes on.
            try {
              const run = await runReceiver(rx, senders, cfg, rep, MEASURE_MS);
              runs.push(run); log(run);
              if (rx.name === 'holots') holotsRun ??= run;
            } catch (err) {
              failures.push(`${rx.name} ${codec} ${height}p #${rep}: ${(err as Error).message}`);
              console.error(`  FAILED ${failures.at(-1)}`);
            }
          }
          // The floor once a repeat too, so its figure is a median of as many runs as the receivers'.
          try {
            const floor = await runFloor(senders, cfg, senders.clip, holotsRun, rep);
            runs.push(floor); log(floor);
          } catch (err) {
            failures.push(`floor ${codec} ${height}p #${rep}: ${(err as Error).message}`);
            console.error(`  FAILED ${failures.at(-1)}`);
          }
        }
      } finally {
        await senders.stop();
      }
    }
  }
  await stopReceivers();
  if (!SIDE_ONLY) browser = await launchSender((r) => forward(r));
  for (const codec of LONG || SIDE_ONLY ? [] : CODECS) {
    for (const [width, height] of [[1280, 720], [1920, 1080]] as const) {
      const r = await runHolots({ codec, width, height }, 0, { kind: 'e2e', measureMs: E2E_MS });
      runs.push(r); log(r);
    }
  }
  for (const codec of LONG || SIDE_ONLY ? [] : CODECS) {
    const r = await runHolots({ codec, width: 1920, height: 1080 }, 0, { kind: 'e2e', measureMs: E2E_MS, noReadback: true });
    runs.push(r); log(r);
  }
  if (!SIDE_ONLY) {
    const soak = await runHolots({ codec: 'VP8', width: 1280, height: 720 }, 0, { kind: 'e2e', measureMs: SOAK_MS, rssEveryMs: Math.min(5000, SOAK_MS) });
    soak.stack = 'holots e2e';
    (soak.extra ??= {}).soak = 1;
    runs.push(soak); log(soak);
  }
} finally {
  await stopReceivers();
  await browser?.close();
}

// ---- tables ----
const pick = (stack: Run['stack'], codec: Codec, size: string, soak = false) =>
  runs.filter((r) => r.stack === stack && r.codec === codec && r.size === size && r.repeat >= 0 && Boolean(r.extra?.soak) === soak);
const med = (rs: Run[], f: (r: Run) => number) => median(rs.map(f));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const sideHead = ['codec', 'size', 'sent (kbps, size, fps)', 'holots fps', 'seed fps', 'holots CPU ms/frame', 'seed CPU ms/frame', 'floor CPU ms/frame',
  'holots/seed', 'holots/floor', 'holots p50 / p95 ms', 'seed p50 / p95 ms', 'PLIs holots / seed', 'goal CPU'];
const sideRows: string[][] = [];
/** Where holots' CPU per frame goes: the decode floor, werift alone, and the rest (holots' own). */
const shareHead = ['codec', 'size', 'decode floor', 'werift alone', 'holots own (holots - floor - werift)', 'holots', 'floor + werift, /floor', 'floor + werift, /seed'];
const shareRows: string[][] = [];
const cpuGoals: { codec: Codec; size: string; ratio: number; floorRatio: number; boundFloorRatio: number; boundSeedRatio: number; met: boolean }[] = [];
for (const codec of CODECS) {
  for (const [w, h] of SIZES) {
    const size = sizeName({ width: w, height: h });
    const H = pick('holots', codec, size), S = pick('seed', codec, size), F = pick('floor', codec, size);
    if (!H.length || !S.length) continue;
    const hc = med(H, (r) => r.cpuMsPerFrame), sc = med(S, (r) => r.cpuMsPerFrame), fc = med(F, (r) => r.cpuMsPerFrame);
    const wc = med(pick('werift', codec, size), (r) => r.cpuMsPerFrame);
    // Issue 15's goal: at most half the seed's CPU per frame and at most 1.5x the decode-only floor (720p and 1080p).
    const goal = h >= 720;
    const met = hc <= 0.5 * sc && hc <= 1.5 * fc;
    // The least a receiver on werift and node-av can spend: werift's receive path plus decoding.
    const bound = fc + wc;
    if (goal) cpuGoals.push({ codec, size, ratio: hc / sc, floorRatio: hc / fc, boundFloorRatio: bound / fc, boundSeedRatio: bound / sc, met });
    const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
    shareRows.push([codec, size, ms(fc), ms(wc), ms(hc - bound), ms(hc), Number.isFinite(bound) ? ratio(bound, fc) : '-', Number.isFinite(bound) ? ratio(bound, sc) : '-']);
    const sent = [...H, ...S].map((r) => r.sender);
    const plis = (rs: Run[]) => rs.reduce((n, r) => n + Number(r.extra?.plis ?? 0), 0);
    sideRows.push([codec, size, `${median(sent.map((x) => x.kbps)).toFixed(0)}, ${median(sent.map((x) => x.width))}x${median(sent.map((x) => x.height))}, ${median(sent.map((x) => x.fps)).toFixed(1)}`,
      med(H, (r) => r.fps).toFixed(1), med(S, (r) => r.fps).toFixed(1), hc.toFixed(2), sc.toFixed(2), Number.isFinite(fc) ? fc.toFixed(2) : '-',
      ratio(hc, sc), Number.isFinite(fc) ? ratio(hc, fc) : '-',
      `${med(H, (r) => r.latencyP50).toFixed(1)} / ${med(H, (r) => r.latencyP95).toFixed(1)}`, `${med(S, (r) => r.latencyP50).toFixed(1)} / ${med(S, (r) => r.latencyP95).toFixed(1)}`,
      `${plis(H)} / ${plis(S)}`, goal ? `${met ? 'met' : 'MISSED'} (<= 0.5x seed, <= 1.5x floor)` : '-']);
  }
}

const cpuHead = ['codec', 'size', 'holots main thread', 'holots other threads', 'seed main thread', 'seed other threads', 'werift alone main thread', 'werift alone other threads'];
const cpuRows: string[][] = [];
for (const codec of CODECS) {
  for (const [w, h] of SIZES) {
    const size = sizeName({ width: w, height: h });
    const H = pick('holots', codec, size), S = pick('seed', codec, size);
    if (!H.length || !S.length) continue;
    const split = (rs: Run[]) => {
      if (!rs.length) return ['-', '-'];
      const total = med(rs, (r) => r.cpuMsPerFrame), main = med(rs, (r) => Number(r.extra!.cpuMainPerFrame));
      return [main.toFixed(2), Math.max(0, total - main).toFixed(2)];
    };
    cpuRows.push([codec, size, ...split(H), ...split(S), ...split(pick('werift', codec, size))]);
  }
}

const stageMed = (r: Run, k: string) => (r.samples[k]?.length ? median(r.samples[k]) : NaN);
const e2eHead = ['codec', 'size', 'readback', 'fps', 'p50 ms', 'p95 ms', 'receive path p50 ms holots / seed', 'seed/holots receive path', 'sender fps', 'encoded - shown', 'receiver dropped', 'goal'];
const e2eRows: string[][] = [];
const latencyGoals: { codec: Codec; p50: number; holotsRxP50: number; seedRxP50: number; met: boolean }[] = [];
const dropGoals: { codec: Codec; fps: number; dropped: number; met: boolean }[] = [];
const stageHead = ['codec', 'size', 'sender+network+receive', 'depacketize+queue', 'decode', 'queue+upload+draw', 'readback+deliver', 'whole p50'];
const stageRows: string[][] = [];
for (const codec of CODECS) {
  for (const [size, stack] of [['720p', 'holots e2e'], ['1080p', 'holots e2e'], ['1080p', 'holots e2e no readback']] as const) {
    const r = pick(stack, codec, size)[0];
    if (!r) continue;
    const readback = stack === 'holots e2e';
    // The ratio compares the receive paths on the same clock (the clip sender's, side by side above): the
    // end-to-end figure also holds Chromium's capture and encode, which the seed's receive path alone does not.
    const seedRxP50 = med(pick('seed', codec, size), (x) => x.latencyP50), holotsRxP50 = med(pick('holots', codec, size), (x) => x.latencyP50);
    const dropped = Number(r.extra!.receiverDropped);
    let goal = '';
    if (size === '720p') {
      const met = r.latencyP50 <= 20 && seedRxP50 / holotsRxP50 >= 3;
      latencyGoals.push({ codec, p50: r.latencyP50, holotsRxP50, seedRxP50, met });
      goal = `latency ${met ? 'met' : 'MISSED'}`;
    } else if (!readback) {
      // The app's own graph (no read-back): every frame that reaches HolovizOp is drawn.
      const met = r.fps >= 29 && dropped === 0;
      dropGoals.push({ codec, fps: r.fps, dropped, met });
      goal = `1080p30 no drops ${met ? 'met' : 'MISSED'}`;
    }
    e2eRows.push([codec, size, readback ? 'yes' : 'no', r.fps.toFixed(1), readback ? r.latencyP50.toFixed(1) : '-', readback ? r.latencyP95.toFixed(1) : '-',
      `${holotsRxP50.toFixed(1)} / ${seedRxP50.toFixed(1)}`, ratio(seedRxP50, holotsRxP50),
      r.sender.fps.toFixed(1), String(r.extra!.encodedMinusShown), String(dropped), goal]);
    if (readback) stageRows.push([codec, size, ...['sender', 'assembleAndQueue', 'decode', 'renderQueueUploadDraw', 'readbackDeliver'].map((k) => stageMed(r, k).toFixed(1)), r.latencyP50.toFixed(1)]);
  }
}
const soakRun = runs.find((r) => r.extra?.soak);
const longFile = `${ROOT}bench/results/seed-long.json`;
const longRecord = existsSync(longFile) ? (JSON.parse(readFileSync(longFile, 'utf8')) as { date: string; results: { soakMs: number; run: Run } }) : null;
const soakLine = (r: Run | undefined, ms: number) => !r ? 'no soak in this run (--side-only)' :
  `RSS ${r.extra!.rssStartMiB} MiB at the first frame, ${r.extra!.rssEndMiB} MiB after ${Math.round(ms / 1000)} s ` +
  `(VP8 720p through HolovizOp; ${r.fps} fps, latency p50 ${r.latencyP50} ms, receiver dropped ${r.extra!.receiverDropped}, encoded - shown ${r.extra!.encodedMinusShown})`;
if (LONG) {
  // --long measures only the 5-minute soak, kept apart so the default run's tables stay as they are.
  writeResults('seed-long', { soakMs: SOAK_MS, run: soakRun! });
  console.log(`\n${soakLine(soakRun, SOAK_MS)}\nresults: ${longFile}`);
  process.exit(0);
}

const goalLines = [
  ...latencyGoals.map((g) => `${g.met ? 'met   ' : 'MISSED'} latency ${g.codec} 720p: holots e2e p50 ${g.p50} ms (goal <= 20 ms); receive path p50 ${g.holotsRxP50} ms vs the seed's ${g.seedRxP50} ms: ${(g.seedRxP50 / g.holotsRxP50).toFixed(2)}x lower (goal >= 3x)`),
  ...cpuGoals.map((g) => `${g.met ? 'met   ' : 'MISSED'} CPU ${g.codec} ${g.size}: holots/seed ${g.ratio.toFixed(2)}x (goal <= 0.5x; floor + werift alone ${g.boundSeedRatio.toFixed(2)}x), holots/floor ${g.floorRatio.toFixed(2)}x (goal <= 1.5x; floor + werift alone ${g.boundFloorRatio.toFixed(2)}x)`),
  ...dropGoals.map((g) => `${g.met ? 'met   ' : 'MISSED'} 1080p30 end to end ${g.codec} (HolovizOp, no read-back): ${g.fps} fps, receiver dropped ${g.dropped} (goal >= 29 fps, 0 dropped)`),
  ...failures.map((f) => `FAILED ${f}`),
];
const tookS = Math.round((Date.now() - started) / 1000);
const loads = runs.map((r) => r.loadavg[0]);
const note = `Load average (1 min) during the runs: ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} on ${os.cpus().length} cores. ` +
  `holots and werift alone: one process each for the whole run, first warmed by a ${PROCESS_WARMUP_MS / 1000} s stream; the seed: a fresh process for each row, warmed as long on its stream; ${REPEATS} repeats x ${MEASURE_MS / 1000} s per stack and configuration after a ${WARMUP_MS / 1000} s warm-up, medians of the repeats; end to end ${E2E_MS / 1000} s per row.` +
  (QUICK ? ' **--quick**: a pipeline check, not figures.' : '');

console.log('\nSide by side, one pre-encoded stream into each receiver in its own process (holots WebRTCClientOp -> sink, seed aiortc recv() + to_rgb().to_ndarray(), floor node-av decoding the same clip from memory):\n');
console.log(formatTable(sideHead, sideRows));
console.log('\nWhere holots\' CPU per frame goes, ms (medians; werift alone: holots\' session dropping every packet before assembly):\n');
console.log(formatTable(shareHead, shareRows));
console.log('\nCPU per frame by thread, ms (each receiver process\'s main thread and the rest, from /proc):\n');
console.log(formatTable(cpuHead, cpuRows));
console.log('\nEnd to end through HolovizOp (headless EGL, llvmpipe), time code read from render_buffer_output:\n');
console.log(formatTable(e2eHead, e2eRows));
console.log('\nPer-stage medians, ms (end to end):\n');
console.log(formatTable(stageHead, stageRows));
console.log(`\n${soakLine(soakRun, SOAK_MS)}${LONG ? '' : ' (default run; --long soaks 5 minutes)'}`);
console.log(`\n${goalLines.join('\n')}\n\n${note}\nbench took ${tookS} s`);

const md = [
  `Side by side: one stream at a time from the clip sender (its own process: a webcam-like clip encoded once, sent by werift without re-encoding) into each receiver, each in a process of its own, its CPU from /proc (holots: WebRTCClientOp -> sink; seed: aiortc \`recv()\` + \`to_rgb().to_ndarray()\`; floor: node-av decoding the same encoded clip from memory; werift alone: below). The driver and the sender are charged to none. "sent" is what the sender really sent in the windows (RTP payload kbps, picture size, fps; median over both stacks' windows). Latency: the sender's clock when it sent the frame -> the picture in the consumer's hands. PLIs: keyframe requests the receivers sent in their windows.`,
  '',
  `Clips: ${clips.map((c) => `${c.codec} ${c.width}x${c.height} ${c.kbps} kbps (${c.frames} frames, ${c.keyframes} keyframes)`).join('; ')}.`,
  '',
  formatMarkdownTable(sideHead, sideRows),
  '',
  'Where holots\' CPU per frame goes, ms (medians of the windows above). Werift alone is holots\' own WebRTCSession in a process of its own, dropping every packet where the frame assembler would take it (werift has taken it off the socket, checked ICE, decrypted SRTP, parsed RTP and kept its NACK and report state); its CPU per frame counts pictures by the RTP marker bit. The decode floor plus werift alone is the least any receiver built on werift and node-av can spend; "holots own" is the rest (assembling, the decode call, the hand-over to the graph).',
  '',
  formatMarkdownTable(shareHead, shareRows),
  '',
  'CPU per frame by thread, ms (main thread from /proc/<pid>/task/<pid>; the rest is every other thread: decoder threads, libuv pool, GC):',
  '',
  formatMarkdownTable(cpuHead, cpuRows),
  '',
  `End to end (in the bench process: latency and drops only, no CPU figure), Chromium -> WebRTCClientOp -> HolovizOp (headless EGL on llvmpipe, render_buffer_output) -> time code read from the rendered picture. The receive-path columns are the side-by-side rows' p50 (the clip sender's clock, the same for both stacks); the seed has no renderer here.`,
  '',
  formatMarkdownTable(e2eHead, e2eRows),
  '',
  'Per-stage medians, ms (each stage\'s own median, so they need not add up to the whole):',
  '',
  formatMarkdownTable(stageHead, stageRows),
  '',
  `Memory: ${soakLine(soakRun, SOAK_MS)}${LONG ? '.' : `, default ${Math.round(SOAK_MS / 1000)} s run.`}`,
  ...(longRecord && !LONG ? [`5-minute run (\`--long\`, ${longRecord.date.slice(0, 10)}): ${soakLine(longRecord.results.run, longRecord.results.soakMs)}.`] : []),
  '',
  'Goals:',
  '',
  ...goalLines.map((l) => `- ${l.replace(/^(met|MISSED|FAILED)\s*/, (_m, s: string) => `**${s}** `)}`),
  '',
  note,
].join('\n');
writeMarkdown('seed', md);
const file = writeResults('seed', {
  config: { quick: QUICK, measureMs: MEASURE_MS, warmupMs: WARMUP_MS, processWarmupMs: PROCESS_WARMUP_MS, repeats: REPEATS, e2eMs: E2E_MS, soakMs: SOAK_MS, long: LONG, python: SEED_PYTHON, sizes: SIZES, gopS: GOP_S, clipFrames: CLIP_FRAMES },
  clips,
  goals: { latency: latencyGoals, cpu: cpuGoals, drops: dropGoals },
  failures,
  runs,
});
console.log(`results: ${file}`);
