/**
 * npm run bench:webrtc-out: a frame handed to the sender -> presented in Chromium (p50/p95, from the time
 * code drawn into each frame just before it is handed over, read back in the viewer page), and the
 * sender's CPU per frame (its own process only, from /proc), for holots' WebRTCServerOp and for holohub's
 * path (aiortc + PyAV encoding after an RGB conversion) in the same run; then the sender's CPU with 1, 2,
 * 5 and 10 viewers of one 720p stream (one shared encoder), the viewers cheap werift peers in a process of
 * their own (ten Chromium pages on the same cores starved everything); then the whole loop camera ->
 * holots -> browser at 720p (`holots run apps/webrtc_video_client/app.yaml --view`, the page's camera
 * drawing a time code that the embedded viewer reads back).
 *   node --import tsx bench/webrtc-out.bench.ts [--quick] [--seconds N] [--viewers-only | --loop-only]
 * --quick: 720p only, 1 and 10 viewers, 4 s windows (proves the bench runs end to end; figures from a full run).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { HOLOTS_NODE_FLAGS } from '../bin/node-flags.js';
import { freePort, PAGE_DIR, ROOT, stopChild } from '../testkit/app-process.ts';
import { launchChromium, waitPageState } from '../testkit/chromium.ts';
import { waitFor } from '../testkit/wait.ts';
import { timeCodeCamera } from '../testkit/webrtc-sender.ts';
import { pageConstantsModule } from '../operators/web-server/routes/page-constants.ts';
import { describeMachine, formatMarkdownTable, machineInfo, median, processCpuMs, quantileOfSorted, SEED_PYTHON, sorted, writeMarkdown, writeResults } from './lib/index.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const seconds = argv.includes('--seconds') ? Number(argv[argv.indexOf('--seconds') + 1]) : QUICK ? 4 : 8;
const SIZES: [number, number][] = QUICK ? [[1280, 720]] : [[1280, 720], [1920, 1080]];
/** Only the loop row (to look into it). */
const LOOP_ONLY = argv.includes('--loop-only');
/** Only the werift-viewer rows (sender CPU against the number of viewers). */
const VIEWERS_ONLY = argv.includes('--viewers-only');
const VIEWER_COUNTS = QUICK ? [1, 10] : [1, 2, 5, 10];
const VIEWER_ROUNDS = 2;

interface Row {
  system: string; codec: string; size: string; viewers: number; p50: number; p95: number; fps: number; cpuMsPerFrame: number; cpuPct: number; frames: number;
  /** Of the p50, the part until Chromium had the whole frame (requestVideoFrameCallback's receiveTime); the rest is its decode and render steps. */
  receivedP50?: number;
  /** The loop only: pictures per second decoded from the page, handed to WebRTCServerOp, encoded back. */
  stages?: { decodedFps: number; renderedFps: number; encodedFps: number };
}

/** Why holohub's path cannot run here, or null when /usr/bin/python3 has aiortc, PyAV, aiohttp and numpy. */
function aiortcProblem(): string | null {
  const r = spawnSync(SEED_PYTHON, ['-c', 'import aiortc, av, aiohttp, numpy; print(aiortc.__version__, av.__version__)'], { encoding: 'utf8' });
  if (r.status === 0) return null;
  const why = (r.stderr || r.error?.message || '').trim().split('\n').at(-1);
  return `${SEED_PYTHON} cannot import aiortc + PyAV (${why}); bin/setup-debian.sh installs python3-aiortc python3-av python3-aiohttp from Debian`;
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d;
      const m = /holots: open https?:\/\/[^\s/]+:(\d+)\/|listening (\d+)/.exec(out);
      if (m) resolve({ proc, port: Number(m[1] ?? m[2]) });
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}`)));
  });
}

const stopProcess = (proc: ChildProcess) => stopChild(proc, 'SIGINT', 3000);

/** The project's one quantile rule (nearest rank), on a sorted copy. */
const quant = (v: number[], q: number) => quantileOfSorted(sorted(v), q);
type ViewerWindow = { viewer: { codes: number; latencies: number[]; receiveLatencies: (number | null)[]; error: string | null } };
/** The p50 of the latencies up to Chromium's receipt of each frame, where the browser gave one. */
const receivedP50 = (v: (number | null)[]) => { const known = v.filter((x): x is number => x !== null); return known.length ? quant(known, 0.5) : undefined; };
// window.viewer appears once viewer.js (a module) has run, a moment after the frame or page exists.
const codesOrError = (where: Page | Frame, n: number) => where.evaluate((k) => { const v = (window as unknown as Partial<ViewerWindow>).viewer; return v ? v.codes > k || v.error : false; }, n);

async function measure(system: string, codec: string, w: number, h: number, viewers: number, pages: Page[]): Promise<Row> {
  const launched = system === 'holots'
    ? await start(process.execPath, ['--import', 'tsx', 'bench/webrtc-out/sender.ts', codec, String(w), String(h)])
    : await start(SEED_PYTHON, [join(ROOT, 'bench/webrtc-out/aiortc_sender.py'), codec, String(w), String(h), PAGE_DIR, PAGE_CONSTANTS]);
  const base = `http://127.0.0.1:${launched.port}/`;
  try {
    await pages[0].bringToFront(); // the measured page
    for (const page of pages.slice(0, viewers)) {
      await page.goto(`${base}viewer.html`);
      await waitPageState(page, 'idle');
      await page.click('#start');
    }
    for (const page of pages.slice(0, viewers)) {
      const ok = await waitFor('time codes', () => codesOrError(page, 20), 60_000);
      if (ok !== true) throw new Error(`the viewer page failed: ${ok}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const frames0 = (await (await fetch(`${base}whep`)).json()).stream.framesEncoded as number;
    const cpu0 = processCpuMs(launched.proc.pid!);
    const lat0 = await pages[0].evaluate(() => (window as unknown as ViewerWindow).viewer.latencies.length);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuMs = processCpuMs(launched.proc.pid!) - cpu0;
    const elapsed = performance.now() - t0;
    const frames = (await (await fetch(`${base}whep`)).json()).stream.framesEncoded - frames0;
    // The page keeps its last 600 latencies: a window longer than 20 s at 30 fps would lose its start.
    const [all, received] = await pages[0].evaluate(() => { const v = (window as unknown as ViewerWindow).viewer; return [v.latencies, v.receiveLatencies] as const; });
    const lat = all.slice(lat0);
    for (const page of pages.slice(0, viewers)) await page.click('#stop').catch(() => {});
    return { system, codec, size: `${w}x${h}`, viewers, p50: quant(lat, 0.5), p95: quant(lat, 0.95), fps: lat.length / (elapsed / 1000), cpuMsPerFrame: cpuMs / Math.max(1, frames), cpuPct: (cpuMs / elapsed) * 100, frames, receivedP50: receivedP50(received.slice(lat0)) };
  } finally {
    await stopProcess(launched.proc);
  }
}

interface WeriftRow {
  viewers: number; round: number; fps: number; minViewerFps: number; cpuMsPerFrame: number; cpuPct: number; viewerCpuPct: number; frames: number;
  /** Viewer 0's pictures, decoded with node-av: how many, how many carried a time code, frame -> decoded p50 ms. */
  decoded: number; codes: number; decodedP50: number;
}

/** A line of JSON from a child's stdout that passes `match`. */
function jsonLine<T>(proc: ChildProcess, match: (v: any) => boolean, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => { done(); reject(new Error(`no answer from the viewer process in ${timeoutMs} ms`)); }, timeoutMs);
    const onData = (d: Buffer) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try { const v = JSON.parse(line); if (match(v)) { done(); resolve(v); return; } } catch { /* a log line */ }
      }
    };
    const onExit = (code: number | null) => { done(); reject(new Error(`the viewer process exited ${code}`)); };
    function done() { clearTimeout(timer); proc.stdout!.off('data', onData); proc.off('exit', onExit); }
    proc.stdout!.on('data', onData);
    proc.on('exit', onExit);
  });
}

interface WeriftStats { viewers: { frames: number; packets: number }[]; picture: { decoded: number; codes: number; latencies: number[] } }

/**
 * N cheap viewers of one 720p H264 stream: werift recvonly peers in a process of their own
 * (bench/webrtc-out/werift-viewers.ts), each assembling every frame, viewer 0 decoding and reading the
 * time codes. Sender CPU is the sender process only, per frame it encoded.
 */
async function measureWerift(viewers: number, round: number): Promise<WeriftRow> {
  const launched = await start(process.execPath, ['--import', 'tsx', 'bench/webrtc-out/sender.ts', 'H264', '1280', '720']);
  const base = `http://127.0.0.1:${launched.port}/`;
  const proc = spawn(process.execPath, ['--import', 'tsx', 'bench/webrtc-out/werift-viewers.ts', base, String(viewers)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => { err += d; });
  try {
    await jsonLine(proc, (v) => v.ready === true, 150_000).catch((e) => { throw new Error(`${e.message}: ${err.trim().split('\n').slice(-3).join(' ')}`); });
    await new Promise((r) => setTimeout(r, 1000));
    const stats = async () => { const a = jsonLine<WeriftStats>(proc, (v) => Array.isArray(v.viewers), 10_000); proc.stdin!.write('stats\n'); return a; };
    const s0 = await stats();
    const frames0 = (await (await fetch(`${base}whep`)).json()).stream.framesEncoded as number;
    const cpu0 = processCpuMs(launched.proc.pid!);
    const vcpu0 = processCpuMs(proc.pid!);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuMs = processCpuMs(launched.proc.pid!) - cpu0;
    const viewerCpuMs = processCpuMs(proc.pid!) - vcpu0;
    const elapsed = performance.now() - t0;
    const frames = (await (await fetch(`${base}whep`)).json()).stream.framesEncoded - frames0;
    const s1 = await stats();
    const perViewerFps = s1.viewers.map((v, i) => (v.frames - s0.viewers[i].frames) / (elapsed / 1000));
    const lat = s1.picture.latencies;
    return {
      viewers, round, fps: perViewerFps[0], minViewerFps: Math.min(...perViewerFps), cpuMsPerFrame: cpuMs / Math.max(1, frames), cpuPct: (cpuMs / elapsed) * 100,
      viewerCpuPct: (viewerCpuMs / elapsed) * 100, frames, decoded: s1.picture.decoded - s0.picture.decoded, codes: s1.picture.codes - s0.picture.codes,
      decodedP50: quant(lat, 0.5),
    };
  } finally {
    await stopChild(proc, 'SIGINT', 3000);
    await stopProcess(launched.proc);
  }
}

/**
 * The whole loop at 720p: the app's own page streams a "camera" (a canvas drawing the time code over moving
 * noise) with H264; holots decodes it, HolovizOp renders it headless, WebRTCServerOp encodes the rendered
 * picture (H264) and the page's embedded viewer plays it and reads the time code: camera -> holots -> browser.
 * CPU is the app process's (decode + render + readback + encode), per frame it sent back.
 */
async function measureLoop(page: Page): Promise<Row> {
  await page.bringToFront();
  const env = { ...process.env };
  delete env.DISPLAY; // headless, as on a server: the point of --view
  delete env.WAYLAND_DISPLAY;
  const port = await freePort();
  const launched = await start(process.execPath, [...HOLOTS_NODE_FLAGS, 'bin/holots.js', 'run', 'apps/webrtc_video_client/app.yaml', '--view', '--host', '127.0.0.1', '--port', String(port), '--set', 'webrtc_client.status_line=false'], env);
  const base = `http://127.0.0.1:${launched.port}/`;
  try {
    await page.addInitScript(timeCodeCamera(1280, 720));
    await page.goto(base);
    await waitPageState(page, 'idle');
    await page.selectOption('#video-resolution', '1280x720');
    await page.selectOption('#video-codec', 'H264/90000');
    await page.click('#start');
    await waitPageState(page, 'streaming', 60_000);
    await page.waitForSelector('#view-panel:not([hidden])', { timeout: 60_000 });
    const viewer = await waitFor('the embedded viewer', () => page.frames().find((f) => f.url().includes('viewer.html')), 30_000);
    const ok = await waitFor('time codes back from holots', () => codesOrError(viewer, 20), 60_000);
    if (ok !== true) throw new Error(`the embedded viewer failed: ${ok}`);
    await new Promise((r) => setTimeout(r, 1000));
    const counts = async () => {
      const out = (await (await fetch(`${base}whep`)).json()).stream as { framesEncoded: number; framesIn: number };
      const sessions = ((await (await fetch(`${base}stats`)).json()) as { sessions: { framesDecoded: number }[] }).sessions;
      return { encoded: out.framesEncoded, rendered: out.framesIn, decoded: sessions.reduce((n, x) => n + x.framesDecoded, 0) };
    };
    const c0 = await counts();
    const frames0 = c0.encoded;
    const cpu0 = processCpuMs(launched.proc.pid!);
    const lat0 = await viewer.evaluate(() => (window as unknown as ViewerWindow).viewer.latencies.length);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuMs = processCpuMs(launched.proc.pid!) - cpu0;
    const elapsed = performance.now() - t0;
    const c1 = await counts();
    const frames = c1.encoded - frames0;
    const perSecond = (n: number) => n / (elapsed / 1000);
    const stages = { decodedFps: perSecond(c1.decoded - c0.decoded), renderedFps: perSecond(c1.rendered - c0.rendered), encodedFps: perSecond(frames) };
    const [all, received] = await viewer.evaluate(() => { const v = (window as unknown as ViewerWindow).viewer; return [v.latencies, v.receiveLatencies] as const; });
    const lat = all.slice(lat0);
    await page.click('#stop').catch(() => {});
    return { system: 'holots loop (camera -> app --view -> page)', codec: 'H264', size: '1280x720', viewers: 1, p50: quant(lat, 0.5), p95: quant(lat, 0.95), fps: lat.length / (elapsed / 1000), cpuMsPerFrame: cpuMs / Math.max(1, frames), cpuPct: (cpuMs / elapsed) * 100, frames, stages, receivedP50: receivedP50(received.slice(lat0)) };
  } finally {
    await stopProcess(launched.proc);
  }
}

const load = os.loadavg();
const noAiortc = aiortcProblem();
// The viewer page imports /holots/constants.js, which WebServerOp makes; the aiortc sender serves this copy.
const tmp = mkdtempSync(join(os.tmpdir(), 'holots-webrtc-out-'));
const PAGE_CONSTANTS = join(tmp, 'constants.js');
writeFileSync(PAGE_CONSTANTS, pageConstantsModule());
if (noAiortc) console.error(`webrtc-out: aiortc rows skipped: ${noAiortc}`);
const browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns']);
const pages = [await browser.context.newPage()];
const rows: Row[] = [];
const weriftRows: WeriftRow[] = [];
const failures: string[] = [];
const attempt = async (what: string, run: () => Promise<Row>) => {
  try {
    rows.push(await run());
    console.error(JSON.stringify(rows.at(-1)));
  } catch (err) {
    failures.push(`${what}: ${(err as Error).message.split('\n')[0]}`);
    console.error(failures.at(-1));
  }
};
try {
  for (const [w, h] of LOOP_ONLY || VIEWERS_ONLY ? [] : SIZES) {
    for (const codec of ['H264', 'VP8']) {
      // Alternate which system goes first, so neither always meets a machine the other just warmed.
      const systems = noAiortc ? ['holots'] : (rows.length / 2) % 2 ? ['aiortc', 'holots'] : ['holots', 'aiortc'];
      for (const system of systems) await attempt(`${system} ${codec} ${w}x${h}`, () => measure(system, codec, w, h, 1, pages));
    }
  }
  if (!LOOP_ONLY) {
    // Rounds in opposite orders (1 2 5 10, then 10 5 2 1), so drift in the machine's load hits every count alike.
    for (let round = 0; round < VIEWER_ROUNDS; round++) {
      const order = round % 2 ? [...VIEWER_COUNTS].reverse() : VIEWER_COUNTS;
      for (const n of order) {
        try {
          weriftRows.push(await measureWerift(n, round));
          console.error(JSON.stringify(weriftRows.at(-1)));
        } catch (err) {
          failures.push(`${n} werift viewers (round ${round + 1}): ${(err as Error).message.split('\n')[0]}`);
          console.error(failures.at(-1));
        }
      }
    }
  }
  if (!VIEWERS_ONLY) await attempt('the loop camera -> holots -> browser', () => measureLoop(pages[0]));
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const find = (s: string, c: string, size: string, v = 1) => rows.find((r) => r.system === s && r.codec === c && r.size === size && r.viewers === v);
const table = formatMarkdownTable(
  ['system', 'codec', 'size', 'viewers', 'frame -> presented p50 ms', 'of it, until Chromium had the frame (p50)', 'p95 ms', 'fps presented', 'sender CPU ms/frame', 'sender CPU %', 'CPU/frame vs aiortc'],
  rows.map((r) => {
    const base = find('aiortc', r.codec, r.size);
    return [r.system, r.codec, r.size, String(r.viewers), f(r.p50), r.receivedP50 === undefined ? '-' : f(r.receivedP50), f(r.p95), f(r.fps), f(r.cpuMsPerFrame, 2), f(r.cpuPct), r.system === 'holots' && base && r.viewers === 1 ? `${f(r.cpuMsPerFrame / base.cpuMsPerFrame, 2)}x` : ''];
  }),
);
const h264 = find('holots', 'H264', '1280x720');
// The werift-viewer rows: the median over the rounds for each number of viewers, against 1 viewer.
const byCount = VIEWER_COUNTS.map((n) => {
  const rs = weriftRows.filter((r) => r.viewers === n);
  const med = (k: keyof WeriftRow) => median(rs.map((r) => r[k] as number));
  return { n, rounds: rs.length, cpuMsPerFrame: med('cpuMsPerFrame'), cpuPct: med('cpuPct'), fps: med('fps'), minViewerFps: Math.min(...rs.map((r) => r.minViewerFps)), viewerCpuPct: med('viewerCpuPct'), decoded: rs.reduce((a, r) => a + r.decoded, 0), codes: rs.reduce((a, r) => a + r.codes, 0), decodedP50: med('decodedP50') };
}).filter((c) => c.rounds > 0);
const one = byCount.find((c) => c.n === 1);
const ten = byCount.find((c) => c.n === 10);
const viewersTable = formatMarkdownTable(
  ['viewers (werift)', 'rounds', 'sender CPU ms/frame', 'vs 1 viewer', 'sender CPU %', 'vs 1 viewer (per second)', 'fps viewer 0', 'fps, slowest viewer', 'viewer 0: decoded / time codes read', 'frame -> decoded p50 ms', 'viewer process CPU %'],
  byCount.map((c) => [String(c.n), String(c.rounds), f(c.cpuMsPerFrame, 2), one ? `${f(c.cpuMsPerFrame / one.cpuMsPerFrame, 2)}x` : '', f(c.cpuPct), one ? `${f(c.cpuPct / one.cpuPct, 2)}x` : '', f(c.fps), f(c.minViewerFps), `${c.decoded} / ${c.codes}`, f(c.decodedP50), f(c.viewerCpuPct)]),
);
const aiortcH264 = find('aiortc', 'H264', '1280x720');
const loop = rows.find((r) => r.system.startsWith('holots loop'));
const goal = (met: boolean) => (met ? 'met' : 'MISSED');
const goals = [
  h264 ? `- 720p30 H264 frame -> presented p50 ${f(h264.p50)} ms (goal <= 10 ms: ${goal(h264.p50 <= 10)})${h264.receivedP50 === undefined ? '' : `; of it, ${f(h264.receivedP50)} ms until Chromium had the whole frame, the rest its decode and render steps`}.` : '',
  h264 && aiortcH264 ? `- sender CPU per frame, 720p H264: holots ${f(h264.cpuMsPerFrame, 2)} ms, aiortc ${f(aiortcH264.cpuMsPerFrame, 2)} ms = ${f(h264.cpuMsPerFrame / aiortcH264.cpuMsPerFrame, 2)}x (goal <= 0.5x: ${goal(h264.cpuMsPerFrame / aiortcH264.cpuMsPerFrame <= 0.5)}).` : '',
  // Per frame sent: a starved sender (a loaded machine) sends fewer frames, and per second would flatter it.
  one && ten ? `- 10 viewers of one 720p H264 stream (werift viewers): ${f(ten.cpuMsPerFrame / one.cpuMsPerFrame, 2)}x the sender CPU per frame of 1 viewer (goal <= 1.5x: ${goal(ten.cpuMsPerFrame / one.cpuMsPerFrame <= 1.5)}; one encoder either way; per second ${f(ten.cpuPct / one.cpuPct, 2)}x; every viewer assembled >= ${f(ten.minViewerFps)} fps).` : '',
  loop ? `- the loop camera -> holots -> browser at 720p: p50 ${f(loop.p50)} ms, p95 ${f(loop.p95)} ms at ${f(loop.fps)} fps (goal p50 <= 40 ms: ${goal(loop.p50 <= 40)}); in the app, per second: ${f(loop.stages!.decodedFps)} pictures decoded from the page, ${f(loop.stages!.renderedFps)} rendered and handed to WebRTCServerOp, ${f(loop.stages!.encodedFps)} encoded back.` : '',
].filter(Boolean);
const md = [
  `Frame handed to the sender -> presented in Chromium (time code read in the viewer page), ${seconds} s per row${QUICK ? ' (--quick: 720p only)' : ''}, one viewer unless said; sender CPU is the sender process only (/proc), source included (holots: a test pattern with noise and a time code in yuv420p; aiortc: the same drawn with numpy, then converted to RGB as holohub does). The loop row is \`holots run apps/webrtc_video_client/app.yaml --view\` headless: the page's camera (a canvas time code over moving noise, H264) -> WebRTCClientOp -> HolovizOp -> WebRTCServerOp -> the page's embedded viewer; its CPU is the whole app's per frame sent back. Load average at start: ${load.map((l) => l.toFixed(1)).join(' ')} (ratios within this run are what count).`,
  '',
  table,
  '',
  `Viewers of one 720p H264 stream: werift recvonly peers negotiating as Chromium does (H264 42e01f packetization-mode 1, NACK/PLI/FIR/REMB/transport-cc offered, playout-delay), all in one process of their own (bench/webrtc-out/werift-viewers.ts, its CPU in the last column, never the sender's); each puts every frame back together, viewer 0 also decodes every frame with node-av and reads the sender's time code. ${seconds} s per row, ${VIEWER_ROUNDS} rounds in opposite orders, medians.`,
  '',
  viewersTable,
  '',
  ...goals,
  ...(noAiortc ? ['', `aiortc rows not measured: ${noAiortc}.`] : []),
  ...(failures.length ? ['', `Rows that did not complete: ${failures.join('; ')}.`] : []),
  '',
  describeMachine(machineInfo()),
].join('\n');
writeResults('webrtc-out', { seconds, quick: QUICK, load, rows, weriftRows, failures, aiortc: noAiortc ?? 'available' });
console.log(writeMarkdown('webrtc-out', md));
console.log(md);
