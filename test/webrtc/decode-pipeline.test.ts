import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { RtpPacket } from 'werift';
import { CODECS, DecodePipeline, KeyframeRequester, newCounters, VideoDecoder, type CodecName, type PictureDecoder } from '../../operators/webrtc/index.ts';
import { paddingPacket, PatternSender, showsPattern } from './rtp-sender.ts';

/**
 * The decode pipeline (assembler, keyframe requests, decode queue, delivery) on synthetic packets from a
 * live pattern encoder, no network: each picture is checked to show the frame it claims to be.
 */

interface Seen { index: number; clean: boolean; keyframe: boolean }

function pipelineFor(codec: CodecName, sender: PatternSender, opts: { decoder?: PictureDecoder; clock?: () => number; timing?: ConstructorParameters<typeof KeyframeRequester>[2] } = {}) {
  const seen: Seen[] = [];
  const counters = newCounters();
  const pipeline = new DecodePipeline(
    CODECS[codec],
    opts.decoder ?? new VideoDecoder(CODECS[codec]),
    () => sender.requestKeyframe(),
    (frame, meta) => seen.push({ index: meta.rtpTimestamp / 3000, clean: showsPattern(frame, meta.rtpTimestamp / 3000), keyframe: meta.keyframe }),
    counters,
    { reorderWindowMs: 50, now: opts.clock, keyframeTiming: opts.timing },
  );
  return { pipeline, seen, counters };
}

for (const codec of ['VP8', 'H264'] as const) {
  test(`${codec}: padding, reordering, a sequence wrap and a lost packet; one keyframe request, clean pictures after it`, async () => {
    // The sequence numbers wrap from 65535 to 0 within the first frames.
    const sender = new PatternSender(codec);
    let clock = 0;
    const { pipeline, seen, counters } = pipelineFor(codec, sender, { clock: () => clock });
    pipeline.start(); // joining: the first request
    const lossAt = 12;
    let seq = 65_530;
    for (let i = 0; i < 40; i++) {
      const { packets } = sender.nextFrame();
      const wire: RtpPacket[] = [];
      packets.forEach((p, k) => { wire.push(p); if (k % 3 === 1) wire.push(paddingPacket(0, p.header.timestamp)); });
      // Padding takes sequence numbers on the wire: renumber after inserting it.
      for (const p of wire) { p.header.sequenceNumber = seq; seq = (seq + 1) & 0xffff; }
      if (wire.length >= 4) [wire[1], wire[2]] = [wire[2], wire[1]]; // reordered in flight
      if (i === lossAt) wire.splice(wire.length >> 1, 1); // lost, and no retransmission comes
      for (const p of wire) { pipeline.push(p); clock += 1; }
      clock += 60; // past the reorder window: a gap is given up
      pipeline.assembler.flushExpired();
      await pipeline.idle();
    }
    await pipeline.idle();
    const stats = pipeline.assemblerStats;
    await pipeline.close();
    sender.close();
    assert.ok(stats.paddingPackets > 0 && stats.reorderedPackets > 0, `padding ${stats.paddingPackets}, reordered ${stats.reorderedPackets}`);
    assert.ok(stats.lostPackets >= 1, 'the lost packet is counted');
    assert.equal(sender.keyframeRequests, 2, 'one request on joining, one for the loss');
    assert.equal(counters.plisSent, 2);
    assert.equal(counters.decodeErrors, 0);
    assert.ok(seen.every((s) => s.clean), `every picture shows its own frame: ${JSON.stringify(seen.filter((s) => !s.clean))}`);
    const indices = seen.map((s) => s.index);
    assert.ok(indices.includes(lossAt - 1) && !indices.includes(lossAt), `the broken frame is not shown: ${indices}`);
    assert.ok(seen.some((s) => s.index > lossAt && s.keyframe), 'the requested keyframe came and was decoded');
    assert.deepEqual(indices.filter((i) => i > lossAt), Array.from({ length: 39 - lossAt }, (_, k) => lossAt + 1 + k), 'every frame after the keyframe is shown');
  });
}

test('overload: decoding slower than frames arrive drops whole runs, keeps showing pictures, asks for keyframes with backoff, and recovers alone', async () => {
  const sender = new PatternSender('VP8');
  const real = new VideoDecoder(CODECS.VP8);
  // The real decoder on a machine that is out of CPU: each decode takes 25 ms longer.
  const slow: PictureDecoder = { decode: async (f) => { await sleep(25); return real.decode(f); }, flush: () => real.flush(), close: () => real.close() };
  const timing = { minIntervalMs: 20, retryMs: 60, maxIntervalMs: 160, backoffMemoryMs: 2000 };
  const { pipeline, seen, counters } = pipelineFor('VP8', sender, { decoder: slow, timing });
  pipeline.start();
  // 90 frames at ~400 fps: far more than the decoder's 40 fps.
  for (let i = 0; i < 90; i++) { for (const p of sender.nextFrame().packets) pipeline.push(p); await sleep(2.5); }
  await pipeline.idle();
  const overload = { pictures: seen.length, dropped: counters.framesDroppedBehind, plis: counters.plisSent };
  // Load falls: 30 frames at 12 fps, which the slow decoder keeps up with.
  for (let i = 0; i < 30; i++) { for (const p of sender.nextFrame().packets) pipeline.push(p); await sleep(80); }
  await pipeline.idle();
  await pipeline.close();
  sender.close();
  assert.ok(overload.dropped > 0, 'decoding fell behind and waiting frames were dropped');
  assert.ok(overload.pictures >= 2, `pictures kept coming under overload (${overload.pictures})`);
  assert.ok(overload.pictures < 90, 'at a lower rate than sent');
  // Fall-behinds happen every few frames, yet requests back off: far fewer PLIs than fall-behinds allow.
  assert.ok(overload.plis <= 12, `keyframe requests stay bounded under overload: ${overload.plis}`);
  const after = seen.filter((s) => s.index >= 90);
  assert.equal(counters.framesDroppedBehind, overload.dropped, 'nothing dropped once load fell');
  assert.ok(after.length >= 25, `the stream recovered by itself: ${after.length} of 30 frames shown`);
  assert.ok(seen.every((s) => s.clean), 'every picture shows its own frame');
  assert.equal(counters.decodeErrors, 0);
});

test('keyframe requests: at once when healthy, then twice the wait each time up to the cap, fresh after a quiet spell', () => {
  let clock = 0;
  const sent: number[] = [];
  const k = new KeyframeRequester(() => sent.push(clock), () => true, { minIntervalMs: 1000, retryMs: 1000, maxIntervalMs: 8000, backoffMemoryMs: 30_000 }, () => clock);
  // Ask every 100 ms for 40 s of fake time; only requests whose wait has passed fire synchronously.
  for (; clock <= 40_000; clock += 100) k.request();
  k.close();
  const gaps = sent.slice(1).map((t, i) => t - sent[i]);
  assert.deepEqual(gaps.slice(0, 4), [1000, 2000, 4000, 8000]);
  assert.ok(gaps.every((g) => g <= 8000), `capped: ${gaps}`);
  assert.ok(sent.length <= 8, `bounded: ${sent.length} requests in 40 s of constant asking`);
  const fresh = new KeyframeRequester(() => sent.push(clock), () => true, { minIntervalMs: 1000, retryMs: 1000, maxIntervalMs: 8000, backoffMemoryMs: 30_000 }, () => clock);
  clock += 31_000;
  const before = sent.length;
  fresh.request();
  fresh.close();
  assert.equal(sent.length, before + 1, 'a request after a quiet spell goes at once');
});
