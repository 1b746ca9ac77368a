/**
 * The seed app end to end, as a user runs it: `holots run apps/webrtc_video_client/app.yaml`, real
 * headless Chromium with the fake camera on the real page, Start / Stop / Start, and the rendered
 * output checked against the decoded picture. Headless (EGL, no X) and in a window under Xvfb.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { parse, stringify } from 'yaml';
import { XInput } from '../holoviz/x-input.ts';
import { startXvfb, type Xvfb } from '../../testkit/xvfb.ts';
import { freePort, portInUse, ROOT, runHolots, type AppProcess } from '../../testkit/app-process.ts';
import { launchChromium, startStreaming, waitPageState, type Browser } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';

const APP = join(ROOT, 'apps/webrtc_video_client/app.yaml');

/** The real app graph plus two PNG writers: the decoded frames and HolovizOp's rendered output. */
function captureVariant(dir: string): string {
  const spec = parse(readFileSync(APP, 'utf8'));
  // Path params resolve against the YAML's folder: this copy lives in a temp folder, so name the page's.
  spec.operators.web_server.params.static_dir = join(dirname(APP), 'client');
  spec.operators.decoded = { type: 'ImageWriterOp', params: { directory: join(dir, 'decoded'), every: 3 } };
  spec.operators.rendered = { type: 'ImageWriterOp', params: { directory: join(dir, 'rendered'), every: 3 } };
  spec.flows.push('webrtc_client.output -> decoded.in', 'holoviz.render_buffer_output -> rendered.in');
  const file = join(dir, 'app.capture.yaml');
  writeFileSync(file, stringify(spec));
  return file;
}

function pngs(dir: string): string[] {
  try { return readdirSync(dir).filter((f) => f.endsWith('.png')).sort().map((f) => join(dir, f)); } catch { return []; }
}

function readPng(file: string): PNG {
  return PNG.sync.read(readFileSync(file));
}

/** Mean and standard deviation of the RGB values: a blank or frozen-grey picture has almost no spread. */
function spread(data: Uint8Array): { mean: number; std: number } {
  let sum = 0, sq = 0, n = 0;
  for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) { sum += data[i + c]; sq += data[i + c] ** 2; n++; }
  const mean = sum / n;
  return { mean, std: Math.sqrt(sq / n - mean * mean) };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) { d += Math.abs(a[i + c] - b[i + c]); n++; }
  return d / n;
}

async function countSettles(dir: string, forMs: number): Promise<number> {
  const before = pngs(dir).length;
  await new Promise((r) => setTimeout(r, forMs));
  const after = pngs(dir).length;
  assert.equal(after, before, `frames kept arriving after Stop (${before} -> ${after})`);
  return after;
}

/** 64x48 RGBA of what a <video> shows now, drawn in the page. */
function grabVideo(page: Page, frameSelector: string | null, videoId: string): Promise<number[]> {
  return page.evaluate(([sel, id]) => {
    const doc = sel ? (document.querySelector(sel) as HTMLIFrameElement).contentDocument! : document;
    const video = doc.getElementById(id) as HTMLVideoElement;
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 48;
    const g = c.getContext('2d', { willReadFrequently: true })!;
    g.drawImage(video, 0, 0, 64, 48);
    return Array.from(g.getImageData(0, 0, 64, 48).data);
  }, [frameSelector, videoId] as const);
}

interface EmbeddedViewer { frames: number; error: string | null }
const embeddedViewer = (page: Page) => page.evaluate(() => {
  const w = (document.getElementById('view') as HTMLIFrameElement).contentWindow as unknown as { viewer?: EmbeddedViewer } | null;
  return w?.viewer ? { frames: w.viewer.frames, error: w.viewer.error } : null;
});

describe('webrtc_video_client through the CLI', () => {
  let browser: Browser;
  // The embedded WHEP viewer gathers no camera permission of its own: without this its host candidates hide behind mDNS.
  before(async () => { browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns']); });
  after(async () => { await browser?.close(); });

  test('headless: Start shows the camera in the rendered output, Stop stops, Start resumes; exit 0 frees the port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holots-app-'));
    const port = await freePort();
    const env = { ...process.env };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    let app: AppProcess | null = null;
    try {
      app = runHolots(['run', captureVariant(dir), '--host', '127.0.0.1', '--port', String(port),
        '--set', 'holoviz.enable_render_buffer_output=true', '--set', 'holoviz.width=640', '--set', 'holoviz.height=480'], env);
      const [, url] = await app.waitForOutput(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
      await app.waitForOutput(/no display .*rendering headless/i, 15_000); // says so when there is no display

      const page = await browser.context.newPage();
      await startStreaming(page, url, '640x480', 'VP8/90000');
      const rendered = join(dir, 'rendered'), decoded = join(dir, 'decoded');
      await waitFor('rendered and decoded pictures', () => pngs(rendered).length >= 5 && pngs(decoded).length >= 5);
      await app.waitForOutput(/sessions 1 .*fps .*640x480.*VP8/, 10_000);

      const shown = readPng(pngs(rendered).at(-1)!);
      const source = readPng(pngs(decoded).at(-1)!);
      assert.equal(shown.width, 640);
      assert.equal(source.width, 640);
      assert.equal(source.height, 480);
      const s = spread(shown.data);
      assert.ok(s.std > 15, `the rendered picture is not blank (mean ${s.mean.toFixed(1)}, std ${s.std.toFixed(1)})`);
      // Not the same instant (the camera moves), but the same scene: the GPU's YUV->RGB matches the CPU's.
      const diff = meanAbsDiff(shown.data, source.data);
      assert.ok(diff < 12, `rendered output matches the decoded frame (mean abs diff ${diff.toFixed(2)})`);

      await page.click('#stop');
      await waitPageState(page, 'idle');
      await new Promise((r) => setTimeout(r, 500)); // frames already in flight
      const stoppedAt = await countSettles(rendered, 1500);

      await page.click('#start');
      await waitPageState(page, 'streaming');
      await waitFor('video again after Start', () => pngs(rendered).length >= stoppedAt + 5);
      await page.close();

      assert.equal(await app.stop(), 0, app.stderr);
      assert.equal(await portInUse(port), false, 'the port is free after exit');
    } finally {
      await app?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('headless --view: the camera goes through holots and the rendered picture plays back in the same page', async () => {
    const port = await freePort();
    const env = { ...process.env };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    let app: AppProcess | null = null;
    try {
      app = runHolots(['run', APP, '--host', '127.0.0.1', '--port', String(port), '--view', '--set', 'holoviz.width=640', '--set', 'holoviz.height=480'], env);
      const [, url] = await app.waitForOutput(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
      await app.waitForOutput(/no display .*rendering headless/i, 15_000);
      const page = await browser.context.newPage();
      await startStreaming(page, url, '640x480', 'VP8/90000');
      await page.waitForSelector('#view-panel:not([hidden])', { timeout: 30_000 });
      const played = await waitFor('the picture back from holots playing in the page', async () => {
        const v = await embeddedViewer(page);
        if (v?.error) throw new Error(`the embedded viewer failed: ${v.error}`);
        return v && v.frames >= 15 ? v : null;
      }, 30_000, 200);
      assert.ok(played.frames >= 15);

      // The picture, not just frames: what came back is the camera (a different instant of the same scene).
      const camera = await grabVideo(page, null, 'preview');
      const back = await grabVideo(page, '#view', 'remote');
      const s = spread(Uint8Array.from(back));
      assert.ok(s.std > 15, `the played-back picture is not blank (mean ${s.mean.toFixed(1)}, std ${s.std.toFixed(1)})`);
      const diff = meanAbsDiff(Uint8Array.from(back), Uint8Array.from(camera));
      assert.ok(diff < 20, `the played-back picture matches the camera (mean abs diff ${diff.toFixed(2)})`);
      const size = await page.evaluate(() => {
        const v = (document.getElementById('view') as HTMLIFrameElement).contentDocument!.getElementById('remote') as HTMLVideoElement;
        return `${v.videoWidth}x${v.videoHeight}`;
      });
      assert.equal(size, '640x480', 'HolovizOp\'s picture, at its size');
      const playback = await (await fetch(new URL('whep', url))).json() as { stream: { encoders: number; codec: string }; viewers: unknown[] };
      assert.equal(playback.stream.codec, 'H264');
      assert.equal(playback.stream.encoders, 1);
      assert.equal(playback.viewers.length, 1);

      // Stop ends both directions: the panel goes, and its viewer leaves the server (DELETE as the frame empties).
      await page.click('#stop');
      await waitPageState(page, 'idle');
      assert.equal(await page.isHidden('#view-panel'), true);
      await waitFor('the embedded viewer to leave', async () => ((await (await fetch(new URL('whep', url))).json()) as { viewers: unknown[] }).viewers.length === 0, 15_000, 250);
      await page.close();
      assert.equal(await app.stop(), 0, app.stderr);
    } finally {
      await app?.stop();
    }
  });

  test('window under Xvfb: the window shows the camera; Esc closes it, exit code 0, port free', async () => {
    let xvfb: Xvfb | null = null;
    let app: AppProcess | null = null;
    try {
      xvfb = await startXvfb();
      const port = await freePort();
      app = runHolots(['run', APP, '--host', '127.0.0.1', '--port', String(port), '--set', 'holoviz.width=640', '--set', 'holoviz.height=480'], { ...process.env, DISPLAY: xvfb.display });
      const [, url] = await app.waitForOutput(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
      await app.waitForOutput(/status: sessions 0/, 15_000); // every operator has started
      assert.doesNotMatch(app.stderr, /headless/i);
      const page = await browser.context.newPage();
      await startStreaming(page, url, '640x480', 'H264/90000');
      await app.waitForOutput(/sessions 1 .*fps .*H264/, 15_000);

      const geometry = await waitFor('the "WebRTC Client" window', () => {
        try {
          const info = execFileSync('xwininfo', ['-display', xvfb!.display, '-name', 'WebRTC Client'], { encoding: 'utf8' });
          const num = (k: string) => Number(new RegExp(`${k}:\\s+(-?\\d+)`).exec(info)?.[1]);
          return { x: num('Absolute upper-left X'), y: num('Absolute upper-left Y'), w: num('Width'), h: num('Height') };
        } catch { return undefined; }
      });
      const x = new XInput(xvfb.display);
      try {
        const shot = await waitFor('camera pixels in the window', () => {
          const rgba = x.capture(geometry.x, geometry.y, geometry.w, geometry.h);
          return spread(rgba).std > 15 ? rgba : undefined;
        }, 15_000, 250);
        const png = new PNG({ width: geometry.w, height: geometry.h });
        png.data = Buffer.from(shot);
        mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
        writeFileSync(join(ROOT, 'test-artifacts/webrtc-client-window.png'), PNG.sync.write(png));
        x.moveTo(geometry.x + geometry.w / 2, geometry.y + geometry.h / 2); // no window manager: focus follows the pointer
        x.tap(0xff1b); // Escape
      } finally {
        x.close();
      }
      const code = await Promise.race([app.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
      assert.equal(code, 0, `Esc ends the app with exit code 0:\n${app.stderr}`);
      assert.equal(await portInUse(port), false, 'the port is free after exit');
      await page.close();
    } finally {
      await app?.stop();
      await xvfb?.stop();
    }
  });
});
