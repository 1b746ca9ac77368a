import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RtpPacket } from 'werift';
import { CODECS, FrameAssembler, parseTrickleFragment, seqDiff, VideoDecoder, type CodecName, type EncodedFrame } from '../../operators/webrtc/index.ts';
import { encodePattern, patternBox, PATTERN } from './encode.ts';
import { packetize, paddingPacket } from './rtp-sender.ts';

/** Renumbers packets consecutively from `startSeq` (with wrap-around), as if they were sent in this order. */
function renumber(packets: RtpPacket[], startSeq: number): RtpPacket[] {
  return packets.map((p, i) => { const c = RtpPacket.deSerialize(p.serialize()); c.header.sequenceNumber = (startSeq + i) & 0xffff; return c; });
}

function collect(codec: CodecName, packets: RtpPacket[], reorderWindowMs = 50) {
  const frames: EncodedFrame[] = [];
  const keyframeRequests: string[] = [];
  const a = new FrameAssembler(CODECS[codec], (f) => frames.push(f), (r) => keyframeRequests.push(r), { reorderWindowMs, now: () => 0 });
  for (const p of packets) a.push(RtpPacket.deSerialize(p.serialize()));
  a.close();
  return { frames, keyframeRequests, stats: a.stats };
}

/** Decodes and checks each picture shows the pattern: green field and the box where frame i puts it. */
async function assertCleanPictures(codec: CodecName, frames: EncodedFrame[], width: number, height: number) {
  const dec = new VideoDecoder(CODECS[codec]);
  try {
    let index = 0;
    for (const f of frames) {
      const pics = await dec.decode(f);
      for (const { frame } of pics) {
        const [Y, U, V] = frame.planes;
        const box = patternBox(width, height, Math.round(f.rtpTimestamp / 3000));
        const inBox = Y.data[(box.y + (box.h >> 1)) * Y.stride + box.x + (box.w >> 1)];
        const field = Y.data[(height >> 4) * Y.stride + (width >> 1)];
        assert.ok(Math.abs(inBox - PATTERN.box) < 12, `${codec} picture ${index}: box centre luma ${inBox}, expected ~${PATTERN.box}`);
        assert.ok(Math.abs(field - PATTERN.y) < 12, `${codec} picture ${index}: field luma ${field}, expected ~${PATTERN.y}`);
        assert.ok(Math.abs(U.data[U.stride * 4 + 4] - PATTERN.u) < 8 && Math.abs(V.data[V.stride * 4 + 4] - PATTERN.v) < 8, `${codec} picture ${index}: chroma`);
        index++;
      }
    }
    assert.equal(dec.errors, 0, 'no decode errors');
    return index;
  } finally {
    await dec.close();
  }
}

for (const codec of ['VP8', 'VP9', 'H264', 'AV1'] as const) {
  test(`${codec}: padding-only packets between and inside frames are skipped, every frame survives and decodes clean (trap 1)`, async () => {
    const encoded = encodePattern(codec, 320, 240, 12, 60);
    const plain = packetize(codec, encoded);
    // A padding packet after every third packet, each taking a sequence number, as Chrome's probes do.
    const withPadding: RtpPacket[] = [];
    plain.forEach((p, i) => { withPadding.push(p); if (i % 3 === 1) withPadding.push(paddingPacket(0, p.header.timestamp)); });
    const packets = renumber(withPadding, 65500); // and across the 16-bit wrap
    const { frames, stats } = collect(codec, packets);
    assert.equal(stats.paddingPackets, withPadding.length - plain.length);
    assert.equal(stats.lostPackets, 0);
    assert.equal(stats.brokenFrames, 0);
    assert.equal(frames.length, encoded.length, 'every frame assembled');
    assert.ok(frames[0].keyframe, 'the first frame is detected as a keyframe');
    const decoded = await assertCleanPictures(codec, frames, 320, 240);
    assert.equal(decoded, encoded.length);
  });
}

test('reorder window: swapped packets are put back in order; nothing counted lost', async () => {
  const encoded = encodePattern('VP8', 320, 240, 6, 60);
  const packets = renumber(packetize('VP8', encoded), 100);
  assert.ok(packets.length >= 8);
  const swapped = [...packets];
  [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
  [swapped[6], swapped[7]] = [swapped[7], swapped[6]];
  const { frames, stats } = collect('VP8', swapped);
  assert.equal(stats.reorderedPackets, 2);
  assert.equal(stats.lostPackets, 0);
  assert.equal(frames.length, encoded.length);
  await assertCleanPictures('VP8', frames, 320, 240);
});

test('a lost packet breaks its frame, asks for a keyframe once, and deltas wait for the next keyframe', () => {
  const encoded = encodePattern('VP8', 320, 240, 20, 10); // keyframes at 0 and 10
  const packets = renumber(packetize('VP8', encoded), 500);
  const frame3 = packets.findIndex((p) => p.header.timestamp === 3 * 3000);
  const lost = packets.filter((_, i) => i !== frame3);
  let clock = 0;
  const frames: EncodedFrame[] = [];
  const requests: string[] = [];
  const a = new FrameAssembler(CODECS.VP8, (f) => frames.push(f), (r) => requests.push(r), { reorderWindowMs: 50, now: () => clock });
  for (const p of lost) { a.push(p); clock += 1; a.flushExpired(); }
  clock += 100;
  a.flushExpired();
  a.close();
  assert.equal(a.stats.lostPackets, 1);
  assert.equal(requests.length, 1, 'one keyframe request for one loss');
  assert.ok(a.stats.brokenFrames >= 1);
  const tss = frames.map((f) => f.rtpTimestamp / 3000);
  assert.deepEqual(tss.slice(0, 3), [0, 1, 2], 'frames before the loss pass');
  assert.ok(!tss.includes(3), 'the broken frame is dropped');
  assert.ok(tss.every((t) => t < 3 || t >= 10), `deltas after the loss wait for the keyframe at 10: ${tss}`);
  assert.equal(a.stats.framesSkippedWaitingForKeyframe, 6);
});

test('a retransmission arriving within the window fills the gap; one after it is counted late', () => {
  const encoded = encodePattern('VP8', 320, 240, 4, 60);
  const packets = renumber(packetize('VP8', encoded), 7);
  let clock = 0;
  const frames: EncodedFrame[] = [];
  const a = new FrameAssembler(CODECS.VP8, (f) => frames.push(f), () => undefined, { reorderWindowMs: 50, now: () => clock });
  const held = packets[1];
  a.push(packets[0]);
  for (const p of packets.slice(2)) { clock += 5; a.push(p); a.flushExpired(); }
  clock += 10; // 30 ms after the gap opened: still inside the window
  a.push(held);
  assert.equal(a.stats.lostPackets, 0);
  assert.equal(frames.length, encoded.length);
  // A duplicate of an already-delivered packet is late.
  a.push(packets[0]);
  assert.equal(a.stats.latePackets, 1);
  a.close();
});

test('seqDiff is the signed 16-bit distance', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: -0x7fff, max: 0x7fff }), (a, d) => seqDiff(a, (a + d) & 0xffff) === d));
  assert.equal(seqDiff(65535, 0), 1);
  assert.equal(seqDiff(0, 65535), -1);
});

test('trickle-ice-sdpfrag: candidates with their mid, end-of-candidates, ufrag', () => {
  const frag = 'a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\na=end-of-candidates\r\n';
  const parsed = parseTrickleFragment(frag);
  assert.equal(parsed.iceUfrag, 'EsAw');
  assert.equal(parsed.endOfCandidates, true);
  assert.deepEqual(parsed.candidates, [{ candidate: 'candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1', sdpMid: '0', sdpMLineIndex: 0 }]);
  assert.throws(() => parseTrickleFragment('hello'), /no a=candidate/);
});
