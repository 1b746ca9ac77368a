/**
 * npm run bench:webrtc-out: a frame handed to the sender -> presented in Chromium (p50/p95, from the time
 * code drawn into each frame just before it is handed over, read back in the viewer page), and the
 * sender's CPU per frame (its own process only, from /proc), for holots' WebRTCServerOp and for holohub's
 * path (aiortc + PyAV encoding after an RGB conversion) in the same run; then 10 viewers of one 720p stream
 * against 1 (one shared encoder).
 *   node --import tsx bench/webrtc-out.bench.ts [--seconds 8]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PAGE_DIR, ROOT } from '../testkit/app-process.ts';
import { launchChromium, waitPageState } from '../testkit/chromium.ts';
import { waitFor } from '../testkit/wait.ts';
import { describeMachine, formatMarkdownTable, machineInfo, processCpuMs, writeMarkdown, writeResults } from './lib/index.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 8;

interface Row { system: string; codec: string; size: string; viewers: number; p50: number; p95: number; fps: number; cpuMsPerFrame: number; cpuPct: number }

function start(cmd: string, args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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

const quant = (v: number[], q: number) => { const s = [...v].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN; };

async function measure(system: string, codec: string, w: number, h: number, viewers: number, pages: Page[]): Promise<Row> {
  const launched = system === 'holots'
    ? await start(process.execPath, ['--import', 'tsx', 'bench/webrtc-out/sender.ts', codec, String(w), String(h)])
    : await start('/usr/bin/python3', [join(ROOT, 'bench/webrtc-out/aiortc_sender.py'), codec, String(w), String(h), PAGE_DIR]);
  const base = `http://127.0.0.1:${launched.port}/`;
  try {
    for (const page of pages.slice(0, viewers)) {
      await page.goto(`${base}viewer.html`);
      await waitPageState(page, 'idle');
      await page.click('#start');
    }
    for (const page of pages.slice(0, viewers)) await waitFor('time codes', () => page.evaluate(() => (window as any).viewer.codes > 20 || (window as any).viewer.error), 60_000);
    await new Promise((r) => setTimeout(r, 1000));
    const frames0 = (await (await fetch(`${base}whep`)).json()).stream.framesEncoded as number;
    const cpu0 = processCpuMs(launched.proc.pid!);
    const lat0 = await pages[0].evaluate(() => (window as any).viewer.latencies.length as number);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const cpuMs = processCpuMs(launched.proc.pid!) - cpu0;
    const elapsed = performance.now() - t0;
    const frames = (await (await fetch(`${base}whep`)).json()).stream.framesEncoded - frames0;
    const lat: number[] = (await pages[0].evaluate(() => (window as any).viewer.latencies as number[])).slice(lat0);
    const fps = lat.length / (elapsed / 1000);
    for (const page of pages.slice(0, viewers)) await page.click('#stop').catch(() => {});
    return { system, codec, size: `${w}x${h}`, viewers, p50: quant(lat, 0.5), p95: quant(lat, 0.95), fps, cpuMsPerFrame: cpuMs / Math.max(1, frames), cpuPct: (cpuMs / elapsed) * 100 };
  } finally {
    launched.proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    launched.proc.kill('SIGKILL');
  }
}

const load = os.loadavg();
const browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns']);
const pages = await Promise.all(Array.from({ length: 10 }, () => browser.context.newPage()));
const rows: Row[] = [];
try {
  for (const [w, h] of [[1280, 720], [1920, 1080]]) {
    for (const codec of ['H264', 'VP8']) {
      for (const system of ['holots', 'aiortc']) {
        try { rows.push(await measure(system, codec, w, h, 1, pages)); } catch (err) { console.error(`${system} ${codec} ${w}x${h}: ${(err as Error).message.split('\n')[0]}`); }
        console.error(JSON.stringify(rows.at(-1)));
      }
    }
  }
  rows.push(await measure('holots', 'H264', 1280, 720, 10, pages));
  console.error(JSON.stringify(rows.at(-1)));
} finally {
  await browser.close();
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const find = (s: string, c: string, size: string, v = 1) => rows.find((r) => r.system === s && r.codec === c && r.size === size && r.viewers === v);
const table = formatMarkdownTable(
  ['system', 'codec', 'size', 'viewers', 'p50 ms', 'p95 ms', 'fps presented', 'sender CPU ms/frame', 'sender CPU %', 'CPU/frame vs aiortc'],
  rows.map((r) => {
    const base = find('aiortc', r.codec, r.size);
    return [r.system, r.codec, r.size, String(r.viewers), f(r.p50), f(r.p95), f(r.fps), f(r.cpuMsPerFrame, 2), f(r.cpuPct), r.system === 'holots' && base && r.viewers === 1 ? `${f(r.cpuMsPerFrame / base.cpuMsPerFrame, 2)}x` : ''];
  }),
);
const one = find('holots', 'H264', '1280x720');
const ten = find('holots', 'H264', '1280x720', 10);
const md = [
  `Frame handed to the sender -> presented in Chromium (time code read in the viewer page), ${seconds} s per row, one viewer unless said; sender CPU is the sender process only (/proc). Load average at start: ${load.map((l) => l.toFixed(1)).join(' ')} (machine shared with other work: ratios within this run are what count).`,
  '',
  table,
  '',
  one && ten ? `10 viewers of one 720p H264 stream cost ${f(ten.cpuPct / one.cpuPct, 2)}x the sender CPU of 1 viewer (one encoder either way).` : '',
  '',
  describeMachine(machineInfo()),
].join('\n');
writeResults('webrtc-out', { seconds, load, rows });
console.log(writeMarkdown('webrtc-out', md));
console.log(md);
