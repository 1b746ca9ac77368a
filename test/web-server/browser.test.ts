import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { VideoFrame } from '../../operators/messages/index.ts';
import { WebRTCClientOp } from '../../operators/webrtc/index.ts';
import { WebServerOp } from '../../operators/web-server/index.ts';
import { send } from '../../testkit/http.ts';
import { launchChromium, waitPageState as waitState, type Browser } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';
import { listeningLogger } from '../../testkit/listening-logger.ts';
import { PAGE_DIR } from '../../testkit/app-process.ts';

const INSECURE_HOST = 'holots-insecure.test';
// A name that maps to loopback but is not 'localhost': the browser treats its http:// origin as insecure.
const RESOLVE_INSECURE_HOST = `--host-resolver-rules=MAP ${INSECURE_HOST} 127.0.0.1`;

interface SessionStats { id: string; state: string; codec: string | null; width: number; height: number; framesDecoded: number }

/** The last frame size the graph's end saw, to check pictures really travel past the WebRTC operator. */
function makeFrameProbe(seen: { frames: number; width: number; height: number }) {
  return defineOperator({
    name: 'FrameProbe',
    params: z.object({}).strict(),
    inputs: { in: port(VideoFrame) },
    compute({ in: frame }) {
      seen.frames++;
      seen.width = frame.width;
      seen.height = frame.height;
    },
  });
}

/** The seed app's graph without the window: WebServerOp -> WebRTCClientOp -> a frame probe. */
async function startApp(webrtcParams: Record<string, unknown> = {}, serverParams: Record<string, unknown> = {}) {
  const seen = { frames: 0, width: 0, height: 0 };
  const { logger, logs, port: listening } = listeningLogger('webrtc_video_client');
  const app = new Application('webrtc_video_client', { logger });
  const server = app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: 0, static_dir: PAGE_DIR, ...serverParams } as never });
  const client = app.add('webrtc_client', WebRTCClientOp, { params: webrtcParams as never });
  const probe = app.add('probe', makeFrameProbe(seen));
  app.addFlow(server, client, [['signaling', 'signaling']]);
  app.addFlow(client, probe, [['output', 'in']]);
  const run = app.run();
  const portNo = await Promise.race([listening, run.then(() => { throw new Error(`app ended before listening:\n${logs.join('\n')}`); })]);
  const base = `http://127.0.0.1:${portNo}`;
  return { app, run, base, seen, logs, async stop() { app.stop(); await run; } };
}

async function sessions(base: string): Promise<SessionStats[]> {
  const r = await send(base, 'GET', '/stats');
  assert.equal(r.status, 200, r.body);
  return r.json().sessions;
}

describe('the browser page against the real WebRTC operator', () => {
  let browser: Browser;
  let context: Browser['context'];
  before(async () => {
    browser = await launchChromium([RESOLVE_INSECURE_HOST]);
    context = browser.context;
  });
  after(async () => { await browser?.close(); });

  test('640x480 VP8: Start streams and /stats shows decoded frames; Stop ends the session; Start again resumes', async () => {
    const a = await startApp();
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await page.goto(`${a.base}/`);
      await waitState(page, 'idle');
      assert.equal(await page.isDisabled('#stop'), true);
      assert.equal(await page.$eval('#video-codec option[value="VP8/90000"]', (o) => (o as HTMLOptionElement).hidden), false, 'this Chromium can send VP8');
      await page.selectOption('#video-resolution', '640x480');
      await page.selectOption('#video-codec', 'VP8/90000');

      await page.click('#start');
      await waitState(page, 'streaming');
      const first = await waitFor('a VP8 640x480 session with decoded frames', async () => (await sessions(a.base)).find((s) => s.framesDecoded >= 15));
      assert.equal(first.codec, 'VP8');
      assert.equal(first.width, 640);
      assert.equal(first.height, 480);
      assert.ok(a.seen.frames > 0 && a.seen.width === 640 && a.seen.height === 480, `frames reached the end of the graph: ${JSON.stringify(a.seen)}`);
      // The page's own getStats view agrees.
      await page.waitForFunction(() => document.getElementById('stat-codec')?.textContent === 'VP8', undefined, { timeout: 5000 });
      assert.equal(await page.textContent('#stat-resolution'), '640×480');
      assert.equal(await page.textContent('#stat-session'), first.id);
      assert.equal(await page.$eval('#preview', (v) => (v as HTMLVideoElement).srcObject !== null), true, 'local preview shows the camera');

      await page.click('#stop');
      await waitState(page, 'idle');
      await waitFor('the session to close on the server', async () => (await sessions(a.base)).length === 0, 5000);
      assert.equal(await page.$eval('#preview', (v) => (v as HTMLVideoElement).srcObject), null);

      await page.click('#start');
      await waitState(page, 'streaming');
      const second = await waitFor('a second session with decoded frames', async () => (await sessions(a.base)).find((s) => s.framesDecoded >= 15));
      assert.notEqual(second.id, first.id, 'Start makes a new session');
      assert.equal(second.codec, 'VP8');
      await page.click('#stop');
      await waitState(page, 'idle');
      await waitFor('the second session to close', async () => (await sessions(a.base)).length === 0, 5000);
      assert.deepEqual(pageErrors, []);
    } finally {
      await page.close();
      await a.stop();
    }
  });

  test('the codec choice reaches the server: every other codec this browser can send, at 320x240', async () => {
    const a = await startApp();
    const page = await context.newPage();
    try {
      await page.goto(`${a.base}/`);
      await waitState(page, 'idle');
      const offered = await page.$$eval('#video-codec option', (os) => os.filter((o) => !(o as HTMLOptionElement).hidden && o.getAttribute('value') !== 'default').map((o) => o.getAttribute('value')!));
      assert.ok(offered.includes('VP9/90000'), `Chromium sends VP9; the page offered ${offered.join(', ')}`);
      await page.selectOption('#video-resolution', '320x240');
      for (const value of offered.filter((v) => v !== 'VP8/90000')) {
        const name = value.split('/')[0];
        await page.selectOption('#video-codec', value);
        await page.click('#start');
        await waitState(page, 'streaming');
        const s = await waitFor(`a ${name} session with decoded frames`, async () => (await sessions(a.base)).find((x) => x.framesDecoded >= 5));
        assert.equal(s.codec, name);
        assert.deepEqual([s.width, s.height], [320, 240]);
        await page.click('#stop');
        await waitState(page, 'idle');
        await waitFor('the session to close', async () => (await sessions(a.base)).length === 0, 5000);
      }
    } finally {
      await page.close();
      await a.stop();
    }
  });

  test('with a token, the page opened as /#token=... streams; without it the server\'s 401 is shown', async () => {
    const a = await startApp({}, { token: 'page-token' });
    const page = await context.newPage();
    try {
      await page.goto(`${a.base}/`);
      await page.click('#start');
      await waitState(page, 'error');
      assert.match((await page.textContent('#message')) ?? '', /The server answered 401: missing bearer token/);
      await page.goto(`${a.base}/#token=page-token`);
      await page.reload();
      await waitState(page, 'idle');
      await page.click('#start');
      await waitState(page, 'streaming');
      const auth = { headers: { authorization: 'Bearer page-token' } };
      await waitFor('a session with decoded frames', async () => {
        const r = await send(a.base, 'GET', '/stats', auth);
        return r.json().sessions.find((s: SessionStats) => s.framesDecoded >= 5);
      });
      await page.click('#stop');
      await waitState(page, 'idle');
      await waitFor('the session to close', async () => (await send(a.base, 'GET', '/stats', auth)).json().sessions.length === 0, 5000);
    } finally {
      await page.close();
      await a.stop();
    }
  });

  test('a codec the server refuses shows the server\'s error text', async () => {
    const a = await startApp({ codecs: ['VP9'] });
    const page = await context.newPage();
    try {
      await page.goto(`${a.base}/`);
      await page.selectOption('#video-codec', 'VP8/90000');
      await page.click('#start');
      await waitState(page, 'error');
      const message = await page.textContent('#message');
      assert.match(message ?? '', /The server answered 4\d\d: \S+/);
      assert.equal(await page.isEnabled('#start'), true, 'Start can be pressed again');
      assert.equal(await page.isDisabled('#stop'), true);
      assert.deepEqual(await sessions(a.base), []);
    } finally {
      await page.close();
      await a.stop();
    }
  });

  test('a server that went away is reported as unreachable', async () => {
    const a = await startApp();
    const page = await context.newPage();
    try {
      await page.goto(`${a.base}/`);
      await waitState(page, 'idle');
    } finally {
      await a.stop();
    }
    try {
      await page.click('#start');
      await waitState(page, 'error');
      assert.match((await page.textContent('#message')) ?? '', /holots stopped or is unreachable at http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(await page.$eval('#preview', (v) => (v as HTMLVideoElement).srcObject), null, 'the camera is released');
    } finally {
      await page.close();
    }
  });

  test('an insecure origin explains the two remedies and keeps Start disabled', async () => {
    const a = await startApp();
    const page = await context.newPage();
    try {
      await page.goto(`${a.base.replace('127.0.0.1', INSECURE_HOST)}/`);
      await waitState(page, 'error');
      assert.equal(await page.evaluate(() => window.isSecureContext), false);
      const message = (await page.textContent('#message')) ?? '';
      assert.match(message, /not consider secure/);
      assert.match(message, /--cert-file MyCertificate\.crt --key-file MyKey\.key/);
      assert.match(message, /unsafely-treat-insecure-origin-as-secure/);
      assert.ok(message.includes(`http://${INSECURE_HOST}:`), message);
      assert.equal(await page.isDisabled('#start'), true);
    } finally {
      await page.close();
      await a.stop();
    }
  });
});

describe('camera permission refused', () => {
  test('NotAllowedError gets a clear message and no session is opened', async () => {
    const a = await startApp();
    // Without --use-fake-ui-for-media-stream nobody can answer the permission prompt: headless Chromium refuses.
    let browser: Browser;
    try {
      browser = await launchChromium([RESOLVE_INSECURE_HOST], { omitArgs: ['--use-fake-ui-for-media-stream'] });
    } catch (err) {
      await a.stop();
      throw err;
    }
    try {
      const page = await browser.context.newPage();
      await page.goto(`${a.base}/`);
      await waitState(page, 'idle');
      await page.click('#start');
      await waitState(page, 'error');
      assert.match((await page.textContent('#message')) ?? '', /Camera access was denied/);
      assert.deepEqual(await sessions(a.base), []);
    } finally {
      await browser.close();
      await a.stop();
    }
  });
});
