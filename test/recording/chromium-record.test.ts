import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Application } from '../../framework/index.ts';
import type { VideoFrame } from '../../operators/messages/index.ts';
import { VideoFileReader, VideoStreamRecorderOp } from '../../operators/recording/index.ts';
import { WebRTCClientOp } from '../../operators/webrtc/index.ts';
import { copyFrame, launchSender, makeFrameSink, makeSignalingInjector, startSession, stopSession, type SenderBrowser } from '../../testkit/webrtc-sender.ts';
import { waitFor } from '../../testkit/wait.ts';

/**
 * A real Chromium session in each codec, recorded from WebRTCClientOp's `encoded` output without
 * re-encoding, then replayed: the replayed pictures are the live decoded ones (pixels), as many, at the rate.
 */
const injector = makeSignalingInjector();
const live = new Map<string, VideoFrame[]>();
const sink = makeFrameSink({ onFrame: (f, meta) => { const l = live.get(String(meta.sessionId)) ?? []; if (l.length < 200) l.push(copyFrame(f)); live.set(String(meta.sessionId), l); } });
let app: Application;
let running: Promise<void>;
let browser: SenderBrowser;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holots-record-'));
  app = new Application('record_chromium_test', { logLevel: 'warn' });
  const src = app.add('signaling', injector.op);
  const rx = app.add('webrtc', WebRTCClientOp, { params: { max_sessions: 2 } });
  app.addFlow(src, rx).addFlow(rx, app.add('sink', sink.op), [['output', 'in']]);
  app.addFlow(rx, app.add('recorder', VideoStreamRecorderOp, { params: { directory: dir, file_pattern: '{codec}-{stream}.{ext}' } }), [['encoded', 'encoded']]);
  running = app.run();
  browser = await launchSender(injector.send);
});

after(async () => {
  await browser?.close();
  app.stop();
  await running;
  await rm(dir, { recursive: true, force: true });
});

/** Mean absolute difference of the luma planes. */
function lumaDiff(a: VideoFrame, b: VideoFrame): number {
  let sum = 0, n = 0;
  for (let y = 0; y < a.height; y += 3) for (let x = 0; x < a.width; x += 3) { sum += Math.abs(a.planes[0].data[y * a.planes[0].stride + x] - b.planes[0].data[y * b.planes[0].stride + x]); n++; }
  return sum / n;
}

for (const codec of ['VP8', 'VP9', 'H264', 'AV1'] as const) {
  test(`${codec}: a Chromium session recorded without re-encoding replays the live pictures, as many, at the rate`, { timeout: 120_000 }, async () => {
    const r = await startSession(browser.page, { width: 640, height: 480, codec, kind: 'offer' });
    assert.ok(r.ok && r.sessionId, `offer refused: ${r.status} ${r.error}`);
    const id = r.sessionId!;
    await waitFor(`60 live ${codec} pictures`, () => (live.get(id)?.length ?? 0) >= 60, 60_000);
    assert.ok((await stopSession(browser.page, id)).ok);
    const ext = codec === 'H264' ? 'mkv' : 'webm';
    const file = join(dir, `${codec}-${id}.${ext}`);
    await waitFor(`${file} finished at the session's close (have: ${readdirSync(dir).join(', ')})`, () => existsSync(file), 30_000);

    const reader = await VideoFileReader.open(file);
    assert.equal(reader.codec, codec);
    const replayed: VideoFrame[] = [];
    for (let s; (s = await reader.next());) for (const p of s.pictures) replayed.push(copyFrame(p));
    await reader.close();
    const seen = live.get(id)!;
    // The live list stops at 200 copies and at the close; the file has every frame until the close.
    assert.ok(replayed.length >= seen.length, `${replayed.length} replayed, ${seen.length} seen live`);
    // The file starts at 0 ms; the live clock is the RTP clock. The first live picture is one of the
    // first few in the file (a loaded sink may have missed one): align on the one that matches it.
    const first = replayed.slice(0, 5).reduce((best, p) => (lumaDiff(p, seen[0]) < lumaDiff(best, seen[0]) ? p : best));
    const offset = seen[0].timestamp - first.timestamp;
    let worst = 0;
    let matched = 0;
    for (const pic of seen) {
      const twin = replayed.find((p) => Math.abs(p.timestamp + offset - pic.timestamp) <= 1);
      assert.ok(twin, `${codec}: no replayed picture at the live picture's time ${pic.timestamp - offset} ms`);
      assert.equal(`${twin.width}x${twin.height}`, `${pic.width}x${pic.height}`);
      // The same bytes through the same decoder: the same picture.
      worst = Math.max(worst, lumaDiff(twin, pic));
      matched++;
    }
    assert.ok(matched >= 60);
    assert.ok(worst < 1, `${codec}: a replayed picture differs from the live one by ${worst.toFixed(2)} on average`);
    const steps = replayed.slice(1).map((p, i) => p.timestamp - replayed[i].timestamp).sort((a, b) => a - b);
    const median = steps[steps.length >> 1];
    assert.ok(median > 25 && median < 45, `${codec}: median frame step ${median} ms, not about 33 (30 fps)`);
  });
}
