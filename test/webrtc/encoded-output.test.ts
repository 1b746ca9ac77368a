import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { EncodedFrame, type VideoFrame } from '../../operators/messages/index.ts';
import { CODECS, VideoDecoder, WebRTCClientOp } from '../../operators/webrtc/index.ts';
import { copyFrame, launchSender, makeFrameSink, makeSignalingInjector, startSession, stopSession, type SenderBrowser } from '../../testkit/webrtc-sender.ts';
import { waitFor } from '../../testkit/wait.ts';

/**
 * WebRTCClientOp's `encoded` output, from real Chromium: every assembled frame in order, starting at a
 * keyframe, ended by an endOfStream message when the session closes, and byte for byte what the live
 * decoder decoded (a second decoder fed only from the port makes the same pictures).
 */
const injector = makeSignalingInjector();
const live = new Map<number, VideoFrame>();
const sink = makeFrameSink({ onFrame: (f) => { if (live.size < 400) live.set(f.timestamp, copyFrame(f)); } });
const encoded: { frame: EncodedFrame; meta: Record<string, unknown> }[] = [];
const EncodedSink = defineOperator({
  name: 'EncodedSink',
  params: z.object({}).strict(),
  inputs: { in: port(EncodedFrame, { capacity: 256 }) },
  compute({ in: frame }, _e, ctx) { encoded.push({ frame, meta: { ...ctx.metadata } }); },
});
let app: Application;
let running: Promise<void>;
let browser: SenderBrowser;

before(async () => {
  app = new Application('webrtc_encoded_test', { logLevel: 'warn' });
  const src = app.add('signaling', injector.op);
  const rx = app.add('webrtc', WebRTCClientOp, { params: { max_sessions: 2 } });
  app.addFlow(src, rx).addFlow(rx, app.add('sink', sink.op), [['output', 'in']]).addFlow(rx, app.add('encoded', EncodedSink), [['encoded', 'in']]);
  running = app.run();
  browser = await launchSender(injector.send);
});

after(async () => {
  await browser?.close();
  app.stop();
  await running;
});

for (const codec of ['VP8', 'H264'] as const) {
  test(`${codec}: the encoded output is every frame in order, ends with endOfStream, and decodes to the live pictures`, { timeout: 120_000 }, async () => {
    encoded.length = 0;
    live.clear();
    const r = await startSession(browser.page, { width: 640, height: 480, codec, kind: 'offer' });
    assert.ok(r.ok && r.sessionId, `offer refused: ${r.status} ${r.error}`);
    await waitFor(`30 decoded ${codec} pictures`, () => live.size >= 30, 45_000);
    assert.ok((await stopSession(browser.page, r.sessionId!)).ok);
    await waitFor('the endOfStream message', () => encoded.some((e) => e.frame.endOfStream), 45_000);

    const frames = encoded.filter((e) => !e.frame.endOfStream);
    assert.ok(frames.length >= 30);
    assert.equal(encoded.at(-1)!.frame.endOfStream, true, 'endOfStream comes last');
    assert.equal(encoded.at(-1)!.frame.data.length, 0);
    assert.deepEqual(encoded.map((e) => e.meta.seq), encoded.map((_, i) => i), 'seq counts 0, 1, 2... with no gap');
    assert.equal(frames[0].frame.keyframe, true, 'the first frame is a keyframe');
    for (const { frame, meta } of encoded) {
      assert.equal(frame.codec, codec);
      assert.equal(frame.streamId, r.sessionId);
      assert.equal(meta.sessionId, r.sessionId);
    }
    assert.ok(frames.some((e) => e.frame.width === 640 && e.frame.height === 480), 'width and height once a picture was decoded');

    // A decoder fed only from the port: its pictures are the live ones, byte for byte.
    const decoder = new VideoDecoder(CODECS[codec]);
    let compared = 0;
    try {
      for (const { frame } of frames) {
        const pictures = await decoder.decode({ data: Buffer.from(frame.data), keyframe: frame.keyframe, rtpTimestamp: Math.round(frame.timestamp * 90), arrivalTime: 0, packets: 1 });
        for (const { frame: picture } of pictures) {
          const seen = live.get(picture.timestamp);
          if (!seen) continue;
          for (let p = 0; p < 3; p++) {
            const rows = p === 0 ? picture.height : picture.height >> 1;
            const w = p === 0 ? picture.width : picture.width >> 1;
            for (let y = 0; y < rows; y += 7) {
              const a = picture.planes[p].data.subarray(y * picture.planes[p].stride, y * picture.planes[p].stride + w);
              const b = seen.planes[p].data.subarray(y * seen.planes[p].stride, y * seen.planes[p].stride + w);
              assert.ok(Buffer.from(a).equals(Buffer.from(b)), `${codec}: picture at ${picture.timestamp} ms differs in plane ${p} row ${y}`);
            }
          }
          compared++;
        }
      }
    } finally {
      await decoder.close();
    }
    assert.ok(compared >= 20, `only ${compared} pictures compared`);
  });
}
