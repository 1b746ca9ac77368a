/**
 * holots beside the seed's own stack (issue 6), fed by the same headless Chromium page and canvas time code.
 *
 * Side by side, per codec (VP8, H264) and size (480p, 720p, 1080p), holots and the seed run one after the
 * other (never at once), alternating which goes first, with the same page, durations and warm-up:
 * - holots: WebRTCClientOp (werift + node-av) -> a sink that reads the time code from the Y plane; in this
 *   process, CPU from process.cpuUsage().
 * - seed: bench/seed/answerer.py (aiortc + PyAV under Debian's /usr/bin/python3: the seed operator's
 *   recv() + to_rgb().to_ndarray(), time code read from the RGB array); CPU from /proc/<pid>/stat.
 * Chromium's CPU counts for neither. Figures: fps sustained, CPU ms per frame, glass-to-glass latency
 * (page Date.now() at drawing -> picture in hand) p50/p95; the median of REPEATS repeats.
 *
 * End to end: Chromium -> WebRTCClientOp -> HolovizOp (headless EGL, render_buffer_output) -> a sink that
 * reads the time code from the rendered RGBA picture: latency p50/p95 with a per-stage breakdown, dropped
 * frames, and RSS at the first frame and after a soak (45 s by default). --long runs only a 5-minute soak
 * and writes bench/results/seed-long.json; seed.md quotes the latest one.
 *
 * Usage: node --import tsx bench/seed.bench.ts [--long] [--measure-ms N] [--repeats N]   (default ~6 min)
 * Writes bench/results/seed.json (raw samples) and bench/results/seed.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Application, defineOperator, port } from '../framework/index.ts';
import { HolovizOp } from '../operators/holoviz/index.ts';
import { VideoFrame, type SignalingReply } from '../operators/messages/index.ts';
import { WebRTCClientOp } from '../operators/webrtc/index.ts';
import { launchSender, makeSignalingInjector, startSession, stopSession, waitFor, type PlainRequest } from '../test/webrtc/helpers.ts';
import {
  describeMachine, formatMarkdownTable, formatTable, median, ownCpuMs, processCpuMs, processRssMiB, quantileOfSorted, readTimeCodeAny,
  sorted, wallNow, writeMarkdown, writeResults,
} from './lib/index.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const LONG = argv.includes('--long');
const MEASURE_MS = arg('--measure-ms', 5000);
const WARMUP_MS = 2000;
const REPEATS = arg('--repeats', 2);
const E2E_MS = arg('--e2e-ms', 8000);
const SOAK_MS = LONG ? 300_000 : arg('--soak-ms', 45_000);
const CODECS = ['VP8', 'H264'] as const;
const SIZES = [[640, 480], [1280, 720], [1920, 1080]] as const;
const PYTHON = '/usr/bin/python3'; // Debian's, with python3-aiortc / python3-av / python3-aiohttp (not pyenv's)
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
  stack: 'holots' | 'seed' | 'holots e2e' | 'holots e2e no readback';
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

interface SenderWindow { framesEncoded: number; kbps: number; fps: number; width: number; height: number; limit: string }
interface SenderStats { framesEncoded: number; bytesSent: number; fps: number; w: number; h: number; limit: string }

// ---- the page: one Chromium for the whole bench; its signaling goes to whichever stack is measured ----
let forward: (r: PlainRequest) => Promise<SignalingReply> = async () => ({ ok: false, status: 503, error: 'no stack' });
const browser = await launchSender((r) => forward(r));

async function senderStats(sessionId: string): Promise<SenderStats> {
  const out = await browser.page.evaluate((id) => (window as unknown as { senderStats(i: string): Promise<SenderStats[] | null> }).senderStats(id), sessionId);
  if (!out?.length) throw new Error(`no outbound-rtp stats for session ${sessionId}`);
  return out[0];
}

function senderWindow(a: SenderStats, b: SenderStats, wallMs: number): SenderWindow {
  return {
    framesEncoded: b.framesEncoded - a.framesEncoded,
    kbps: r1(((b.bytesSent - a.bytesSent) * 8) / wallMs),
    fps: r1(((b.framesEncoded - a.framesEncoded) * 1000) / wallMs),
    width: b.w, height: b.h, limit: b.limit,
  };
}

async function open(cfg: Config): Promise<string> {
  const r = await startSession(browser.page, { width: cfg.width, height: cfg.height, codec: cfg.codec, kind: 'offer', source: 'timecode' });
  if (!r.ok) throw new Error(`${cfg.codec} ${cfg.width}x${cfg.height}: ${r.status} ${r.error}`);
  return r.sessionId!;
}

// ---- the seed stack: the Python answerer as a child process ----
interface Seed { child: ChildProcess; url: string; pid: number }
async function startSeed(): Promise<Seed> {
  const script = `${ROOT}bench/seed/answerer.py`;
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: the seed stack needs Debian's python3 with python3-aiortc, python3-av, python3-aiohttp`);
  const child = spawn(PYTHON, [script, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr = (stderr + String(d)).slice(-4000); });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the seed answerer did not start within 20 s: ${stderr}`)), 20_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the seed answerer exited (${code}): ${stderr}`)); });
    createInterface({ input: child.stdout! }).once('line', (line) => { clearTimeout(timer); resolve(JSON.parse(line).port); });
  });
  child.removeAllListeners('exit');
  child.on('exit', (code) => { if (code !== null && code !== 0) console.error(`seed answerer exited ${code}: ${stderr}`); });
  return { child, url: `http://127.0.0.1:${port}`, pid: child.pid! };
}

async function seedCall<T>(seed: Seed, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${seed.url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`seed ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface SeedStats { frames: number; damaged: number; samples: number[][]; seconds: number; process_time: number; sessions: number }

/** The page's signaling, spoken as the seed's /offer protocol. */
function seedSignal(seed: Seed) {
  return async (r: PlainRequest): Promise<SignalingReply> => {
    if (r.kind === 'offer') {
      const a = await seedCall<{ sdp: string; session_id: string }>(seed, '/offer', { sdp: r.sdp, type: 'offer' });
      return { ok: true, sdp: withBitrateHints(a.sdp), sessionId: a.session_id };
    }
    if (r.kind === 'close') { await seedCall(seed, '/close', { session_id: r.sessionId }); return { ok: true }; }
    return { ok: false, status: 400, error: `the seed stack has no '${r.kind}'` };
  };
}

/**
 * Adds the same x-google-min/start-bitrate hints WebRTCClientOp puts in its answer (its defaults, 1000 and
 * 2500 kbps) to aiortc's answer. Without them Chrome starts the seed's session at a low estimate and sends
 * 720p and 1080p as 640x360, so the two stacks would decode different pictures. The hints change only what
 * Chrome sends; aiortc's receive path is untouched.
 */
function withBitrateHints(sdp: string): string {
  const hints = 'x-google-min-bitrate=1000;x-google-start-bitrate=2500';
  const lines = sdp.split('\r\n');
  const video = new Set<string>();
  for (const l of lines) { const m = /^a=rtpmap:(\d+) (VP8|H264)\//i.exec(l); if (m) video.add(m[1]); }
  const withFmtp = new Set(lines.map((l) => /^a=fmtp:(\d+) /.exec(l)?.[1]).filter((pt): pt is string => !!pt && video.has(pt)));
  const out: string[] = [];
  for (const l of lines) {
    const fmtp = /^a=fmtp:(\d+) /.exec(l);
    out.push(fmtp && video.has(fmtp[1]) ? `${l};${hints}` : l);
    const rtpmap = /^a=rtpmap:(\d+) /.exec(l);
    if (rtpmap && video.has(rtpmap[1]) && !withFmtp.has(rtpmap[1])) out.push(`a=fmtp:${rtpmap[1]} ${hints}`);
  }
  return out.join('\r\n');
}

async function runSeed(seed: Seed, cfg: Config, repeat: number): Promise<Run> {
  forward = seedSignal(seed);
  await seedCall(seed, '/reset', {});
  const id = await open(cfg);
  try {
    const t = Date.now();
    while ((await seedCall<SeedStats>(seed, '/stats')).frames === 0) {
      if (Date.now() - t > 15_000) throw new Error(`seed ${cfg.codec} ${cfg.width}x${cfg.height}: no frame within 15 s`);
      await sleep(50);
    }
    await sleep(WARMUP_MS);
    const loadavg = os.loadavg();
    const pt0 = (await seedCall<{ process_time: number }>(seed, '/reset', {})).process_time;
    const s0 = await senderStats(id);
    const cpu0 = processCpuMs(seed.pid);
    const t0 = performance.now();
    await sleep(MEASURE_MS);
    const cpu1 = processCpuMs(seed.pid);
    const wallMs = performance.now() - t0;
    const st = await seedCall<SeedStats>(seed, '/stats');
    const s1 = await senderStats(id);
    const latency = st.samples.map((s) => s[0]);
    const cpuMs = cpu1 - cpu0;
    return {
      stack: 'seed', codec: cfg.codec, size: sizeName(cfg), repeat, wallMs, frames: st.frames, fps: r1((st.frames * 1000) / wallMs),
      cpuMs, cpuMsPerFrame: r2(cpuMs / Math.max(1, st.frames)), latencyP50: r1(pct(latency, 0.5)), latencyP95: r1(pct(latency, 0.95)),
      damaged: st.damaged, sender: senderWindow(s0, s1, wallMs), loadavg,
      samples: { latency, recvReturnToConverted: st.samples.map((s) => s[2]), pictureWidth: st.samples.map((s) => s[3]) },
      extra: { rssMiB: r1(processRssMiB(seed.pid)), pictureWidth: median(st.samples.map((s) => s[3])), processTimeCpuMs: Math.round((st.process_time - pt0) * 1000) },
    };
  } finally {
    await stopSession(browser.page, id).catch(() => undefined);
  }
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
    await waitFor(() => counts.frames > 0, `a first ${opts.kind} frame (${cfg.codec} ${cfg.width}x${cfg.height})`, 15_000);
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
    if (id) await stopSession(browser.page, id).catch(() => undefined);
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
console.log(`holots vs the seed stack — ${describeMachine()}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const seed = await startSeed();
const runs: Run[] = [];
const log = (r: Run) => console.error(`  ${r.stack.padEnd(10)} ${r.codec} ${r.size} #${r.repeat}: ${r.fps} fps, ${r.cpuMsPerFrame} CPU ms/frame, latency ${r.latencyP50}/${r.latencyP95} ms, sender ${r.sender.fps} fps ${r.sender.kbps} kbps ${r.sender.width}x${r.sender.height}${r.damaged ? `, ${r.damaged} damaged` : ''}`);
try {
  // A throwaway session each way first: Chromium's encoders, werift and aiortc all warm up on it.
  await runHolots({ codec: 'VP8', width: 640, height: 480 }, -1, { kind: 'receive', measureMs: 1000 });
  await runSeed(seed, { codec: 'VP8', width: 640, height: 480 }, -1);
  for (let rep = 0; rep < (LONG ? 0 : REPEATS); rep++) {
    for (const codec of CODECS) {
      for (const [width, height] of SIZES) {
        const cfg = { codec, width, height };
        // Alternate which stack goes first, so neither always meets a freshly warmed sender.
        const order = (rep + CODECS.indexOf(codec)) % 2 === 0 ? ['holots', 'seed'] : ['seed', 'holots'];
        for (const who of order) {
          const r = who === 'seed' ? await runSeed(seed, cfg, rep) : await runHolots(cfg, rep, { kind: 'receive', measureMs: MEASURE_MS });
          runs.push(r); log(r);
        }
      }
    }
  }
  for (const codec of LONG ? [] : CODECS) {
    for (const [width, height] of [[1280, 720], [1920, 1080]] as const) {
      const r = await runHolots({ codec, width, height }, 0, { kind: 'e2e', measureMs: E2E_MS });
      runs.push(r); log(r);
    }
  }
  for (const codec of LONG ? [] : CODECS) {
    const r = await runHolots({ codec, width: 1920, height: 1080 }, 0, { kind: 'e2e', measureMs: E2E_MS, noReadback: true });
    runs.push(r); log(r);
  }
  const soak = await runHolots({ codec: 'VP8', width: 1280, height: 720 }, 0, { kind: 'e2e', measureMs: SOAK_MS, rssEveryMs: 5000 });
  soak.stack = 'holots e2e';
  (soak.extra ??= {}).soak = 1;
  runs.push(soak); log(soak);
} finally {
  seed.child.kill('SIGTERM');
  await browser.close();
}

// ---- tables ----
const pick = (stack: Run['stack'], codec: Codec, size: string, soak = false) =>
  runs.filter((r) => r.stack === stack && r.codec === codec && r.size === size && r.repeat >= 0 && Boolean(r.extra?.soak) === soak);
const med = (rs: Run[], f: (r: Run) => number) => median(rs.map(f));
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const sideHead = ['codec', 'size', 'holots fps', 'seed fps', 'holots CPU ms/frame', 'seed CPU ms/frame', 'CPU holots/seed',
  'pictures (width)', 'holots p50 ms', 'seed p50 ms', 'p50 holots/seed', 'holots p95 ms', 'seed p95 ms', 'p95 holots/seed', 'goal CPU'];
const sideRows: string[][] = [];
const cpuGoals: { codec: Codec; size: string; ratio: number; limit: number; met: boolean }[] = [];
for (const codec of CODECS) {
  for (const [w, h] of SIZES) {
    const size = sizeName({ width: w, height: h });
    const H = pick('holots', codec, size), S = pick('seed', codec, size);
    const hc = med(H, (r) => r.cpuMsPerFrame), sc = med(S, (r) => r.cpuMsPerFrame);
    const limit = h === 1080 ? 0.7 : 1;
    const met = hc <= limit * sc;
    cpuGoals.push({ codec, size, ratio: hc / sc, limit, met });
    sideRows.push([codec, size, med(H, (r) => r.fps).toFixed(1), med(S, (r) => r.fps).toFixed(1), hc.toFixed(2), sc.toFixed(2), ratio(hc, sc),
      `${med(H, (r) => Number(r.extra?.pictureWidth))} / ${med(S, (r) => Number(r.extra?.pictureWidth))}`,
      med(H, (r) => r.latencyP50).toFixed(1), med(S, (r) => r.latencyP50).toFixed(1), ratio(med(H, (r) => r.latencyP50), med(S, (r) => r.latencyP50)),
      med(H, (r) => r.latencyP95).toFixed(1), med(S, (r) => r.latencyP95).toFixed(1), ratio(med(H, (r) => r.latencyP95), med(S, (r) => r.latencyP95)),
      `${met ? 'met' : 'MISSED'} (<= ${limit}x)`]);
  }
}

const cpuHead = ['codec', 'size', 'main thread', 'decode', 'other threads (GC, JIT)', 'holots total', 'major GCs/s', 'GC pause ms/frame', 'seed total'];
const cpuRows: string[][] = [];
for (const codec of CODECS) {
  for (const [w, h] of SIZES) {
    const size = sizeName({ width: w, height: h });
    const H = pick('holots', codec, size);
    const total = med(H, (r) => r.cpuMsPerFrame), main = med(H, (r) => Number(r.extra!.cpuMainPerFrame)), dec = med(H, (r) => Number(r.extra!.cpuDecodePerFrame));
    cpuRows.push([codec, size, main.toFixed(2), dec.toFixed(2), Math.max(0, total - main - dec).toFixed(2), total.toFixed(2),
      med(H, (r) => Number(r.extra!.gcMajorPerS)).toFixed(1), med(H, (r) => Number(r.extra!.gcPauseMsPerFrame)).toFixed(2),
      med(pick('seed', codec, size), (r) => r.cpuMsPerFrame).toFixed(2)]);
  }
}

const stageMed = (r: Run, k: string) => (r.samples[k]?.length ? median(r.samples[k]) : NaN);
const e2eHead = ['codec', 'size', 'readback', 'fps', 'p50 ms', 'p95 ms', 'seed p50 ms', 'seed/holots p50', 'CPU ms/frame', 'sender fps', 'encoded - shown', 'receiver dropped', 'goal'];
const e2eRows: string[][] = [];
const latencyGoals: { codec: Codec; p50: number; seedP50: number; met: boolean }[] = [];
const dropGoals: { codec: Codec; fps: number; dropped: number; met: boolean }[] = [];
const stageHead = ['codec', 'size', 'sender+network+receive', 'depacketize+queue', 'decode', 'queue+upload+draw', 'readback+deliver', 'whole p50'];
const stageRows: string[][] = [];
for (const codec of CODECS) {
  for (const [size, stack] of [['720p', 'holots e2e'], ['1080p', 'holots e2e'], ['1080p', 'holots e2e no readback']] as const) {
    const r = pick(stack, codec, size)[0];
    if (!r) continue;
    const readback = stack === 'holots e2e';
    const seedP50 = med(pick('seed', codec, size), (x) => x.latencyP50);
    const dropped = Number(r.extra!.receiverDropped);
    let goal = '';
    if (size === '720p') {
      const met = r.latencyP50 <= 20 && seedP50 / r.latencyP50 >= 3;
      latencyGoals.push({ codec, p50: r.latencyP50, seedP50, met });
      goal = `latency ${met ? 'met' : 'MISSED'}`;
    } else if (!readback) {
      // The app's own graph (no read-back): every frame that reaches HolovizOp is drawn.
      const met = r.fps >= 29 && dropped === 0;
      dropGoals.push({ codec, fps: r.fps, dropped, met });
      goal = `1080p30 no drops ${met ? 'met' : 'MISSED'}`;
    }
    e2eRows.push([codec, size, readback ? 'yes' : 'no', r.fps.toFixed(1), readback ? r.latencyP50.toFixed(1) : '-', readback ? r.latencyP95.toFixed(1) : '-',
      seedP50.toFixed(1), readback ? ratio(seedP50, r.latencyP50) : '-',
      r.cpuMsPerFrame.toFixed(2), r.sender.fps.toFixed(1), String(r.extra!.encodedMinusShown), String(dropped), goal]);
    if (readback) stageRows.push([codec, size, ...['sender', 'assembleAndQueue', 'decode', 'renderQueueUploadDraw', 'readbackDeliver'].map((k) => stageMed(r, k).toFixed(1)), r.latencyP50.toFixed(1)]);
  }
}
const soakRun = runs.find((r) => r.extra?.soak)!;
const longFile = `${ROOT}bench/results/seed-long.json`;
const longRecord = existsSync(longFile) ? (JSON.parse(readFileSync(longFile, 'utf8')) as { date: string; results: { soakMs: number; run: Run } }) : null;
const soakLine = (r: Run, ms: number) =>
  `RSS ${r.extra!.rssStartMiB} MiB at the first frame, ${r.extra!.rssEndMiB} MiB after ${Math.round(ms / 1000)} s ` +
  `(VP8 720p through HolovizOp; ${r.fps} fps, latency p50 ${r.latencyP50} ms, receiver dropped ${r.extra!.receiverDropped}, encoded - shown ${r.extra!.encodedMinusShown})`;
if (LONG) {
  // --long measures only the 5-minute soak, kept apart so the default run's tables stay as they are.
  writeResults('seed-long', { soakMs: SOAK_MS, run: soakRun });
  console.log(`\n${soakLine(soakRun, SOAK_MS)}\nresults: ${longFile}`);
  process.exit(0);
}

const goalLines = [
  ...latencyGoals.map((g) => `${g.met ? 'met   ' : 'MISSED'} latency ${g.codec} 720p: holots e2e p50 ${g.p50} ms (goal <= 20 ms) vs seed ${g.seedP50} ms: ${(g.seedP50 / g.p50).toFixed(2)}x lower (goal >= 3x)`),
  ...cpuGoals.map((g) => `${g.met ? 'met   ' : 'MISSED'} CPU ${g.codec} ${g.size}: holots/seed ${g.ratio.toFixed(2)}x (goal <= ${g.limit}x)`),
  ...dropGoals.map((g) => `${g.met ? 'met   ' : 'MISSED'} 1080p30 end to end ${g.codec} (HolovizOp, no read-back): ${g.fps} fps, receiver dropped ${g.dropped} (goal >= 29 fps, 0 dropped)`),
];
const tookS = Math.round((Date.now() - started) / 1000);
const loads = runs.map((r) => r.loadavg[0]);
const note = `Load average (1 min) during the runs: ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)} on ${os.cpus().length} cores. ` +
  `${REPEATS} repeats x ${MEASURE_MS / 1000} s per stack and configuration after a ${WARMUP_MS / 1000} s warm-up, medians of the repeats; end to end ${E2E_MS / 1000} s per row.`;

console.log('\nSide by side (receive path: holots WebRTCClientOp -> sink, seed aiortc recv() + to_rgb().to_ndarray()):\n');
console.log(formatTable(sideHead, sideRows));
console.log('\nholots CPU per frame by thread, ms (receive path; decode = the decoder\'s own time on the libuv pool):\n');
console.log(formatTable(cpuHead, cpuRows));
console.log('\nEnd to end through HolovizOp (headless EGL, llvmpipe), time code read from render_buffer_output:\n');
console.log(formatTable(e2eHead, e2eRows));
console.log('\nPer-stage medians, ms (end to end):\n');
console.log(formatTable(stageHead, stageRows));
console.log(`\n${soakLine(soakRun, SOAK_MS)}${LONG ? '' : ' (default run; --long soaks 5 minutes)'}`);
console.log(`\n${goalLines.join('\n')}\n\n${note}\nbench took ${tookS} s`);

const md = [
  `Side by side, receive path (holots: WebRTCClientOp -> sink; seed: aiortc \`recv()\` + \`to_rgb().to_ndarray()\`). CPU per frame excludes Chromium for both; latency is glass-to-glass from the page's time code.`,
  '',
  formatMarkdownTable(sideHead, sideRows),
  '',
  'Where holots\' CPU per frame goes (receive path, ms per frame; main thread from /proc/self/task, decode from the decoder\'s own timing on the libuv pool, the rest is V8\'s background GC and compiler threads):',
  '',
  formatMarkdownTable(cpuHead, cpuRows),
  '',
  `End to end, Chromium -> WebRTCClientOp -> HolovizOp (headless EGL on llvmpipe, render_buffer_output) -> time code read from the rendered picture. "seed p50" is the seed's receive path alone (it has no renderer here), so the ratio favours the seed.`,
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
  ...goalLines.map((l) => `- ${l.replace(/^(met|MISSED)\s*/, (_m, s: string) => `**${s}** `)}`),
  '',
  note,
].join('\n');
writeMarkdown('seed', md);
const file = writeResults('seed', {
  config: { measureMs: MEASURE_MS, warmupMs: WARMUP_MS, repeats: REPEATS, e2eMs: E2E_MS, soakMs: SOAK_MS, long: LONG, python: PYTHON },
  goals: { latency: latencyGoals, cpu: cpuGoals, drops: dropGoals },
  runs,
});
console.log(`results: ${file}`);
