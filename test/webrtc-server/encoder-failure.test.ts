/**
 * The encoder failing ends the stream with a named error, never a hang (docs/webrtc-out.md: every viewer is
 * closed and the operator's compute throws, so the app stops naming WebRTCServerOp). The failure is the
 * real encoder's: a stream watched in Chromium changes to a picture size libvpx refuses to open for
 * (16400 wide; VP8 stops at 16383), not an error made up by the test.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { allocateFrame, VideoFrame } from '../../operators/messages/index.ts';
import { WebRTCServerOp, WebServerOp } from '../../operators/index.ts';
import { drawTimeCode } from '../../operators/video/index.ts';
import { PAGE_DIR } from '../../testkit/app-process.ts';
import { launchChromium, type Browser } from '../../testkit/chromium.ts';
import { listeningLogger } from '../../testkit/listening-logger.ts';
import { waitFor } from '../../testkit/wait.ts';
import { viewerState, watch } from './helpers.ts';

/** Grey 320x240 pictures with a time code, until `huge` is set: then 16400x16 ones. */
const size = { huge: false };
const ResizingSource = defineOperator({
  name: 'ResizingSource',
  params: z.object({}).strict(),
  outputs: { out: port(VideoFrame) },
  compute(_in, emit) {
    const [w, h] = size.huge ? [16400, 16] : [320, 240];
    const f = allocateFrame('yuv420p', w, h, performance.now());
    for (const p of f.planes) p.data.fill(128);
    if (!size.huge) drawTimeCode(f, performance.timeOrigin + performance.now());
    emit.out(f);
  },
});

let browser: Browser;
before(async () => { browser = await launchChromium(['--disable-features=WebRtcHideLocalIpsWithMdns']); });
after(async () => { await browser?.close(); });

test('an encoder that fails ends the stream with its named error: viewers closed, the app stops naming WebRTCServerOp', async () => {
  const { logger, logs, port: listening } = listeningLogger('encoder-failure');
  const app = new Application('encoder-failure', { logger });
  const web = app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: 0, static_dir: PAGE_DIR } });
  const source = app.add('source', ResizingSource, { conditions: [{ type: 'periodic', period: '30Hz' }] });
  const server = app.add('webrtc_server', WebRTCServerOp, { params: { codec: 'VP8' } });
  app.addFlow(web, server, [['playback', 'signaling']]);
  app.addFlow(source, server, [['out', 'input']]);
  const running = app.run();
  const outcome = running.then(() => null, (err: Error) => err);
  try {
    const base = `http://127.0.0.1:${await listening}/`;
    const page = await browser.context.newPage();
    await watch(page, base, 10);

    size.huge = true;
    // Never a hang: the run ends by itself, with the encoder's own words and the operator's name.
    const err = await waitFor('the app to stop', () => Promise.race([outcome, new Promise<null>((r) => setTimeout(() => r(null), 100))]), 30_000);
    assert.match(err.message, /webrtc_server/);
    assert.match(err.message, /WebRTCServerOp/);
    assert.match(err.message, /the libvpx encoder failed: cannot open it for 16400x16: Invalid argument/);
    assert.ok(logs.some((l) => /libvpx encoder failed/.test(l)), `the log names the failure:\n${logs.join('\n')}`);

    // Stopped cleanly: the viewer page learns its stream is over (when ICE notices, a few seconds) and says so.
    const shown = await waitFor('the viewer page to say the stream ended', async () => (await viewerState(page)).error, 20_000, 200);
    assert.match(shown, /the server (is gone|ended the stream|is stopping)/);
    assert.ok((await viewerState(page)).frames > 0);
    await assert.rejects(fetch(`${base}whep`), 'the web server stopped with the app');
    await page.close();
  } finally {
    app.stop();
    await outcome;
    size.huge = false;
  }
});
