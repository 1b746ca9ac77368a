import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Vp8RtpPayload, dePacketizeRtpPackets } from 'werift';
import { depacketizeVp8, readVp8Descriptor } from '../../operators/webrtc/vp8-depacketizer.ts';
import { encodePattern } from './encode.ts';
import { packetize } from './rtp-sender.ts';

/** A payload descriptor as RFC 7741 lays it out, with every optional field switchable. */
const descriptor = (o: { s: boolean; pid: number; pictureId?: 7 | 15; tl0?: boolean; tidOrKeyIdx?: boolean }): number[] => {
  const ext = o.pictureId !== undefined || o.tl0 || o.tidOrKeyIdx;
  const out = [(ext ? 0x80 : 0) | (o.s ? 0x10 : 0) | o.pid];
  if (ext) out.push((o.pictureId ? 0x80 : 0) | (o.tl0 ? 0x40 : 0) | (o.tidOrKeyIdx ? 0x20 : 0));
  if (o.pictureId === 7) out.push(0x55);
  if (o.pictureId === 15) out.push(0x80 | 0x12, 0x34);
  if (o.tl0) out.push(7);
  if (o.tidOrKeyIdx) out.push(0x40);
  return out;
};

test('VP8: our depacketizer gives werift\'s bytes and the encoder\'s keyframe flag for real frames', () => {
  const frames = encodePattern('VP8', 320, 240, 12, 6);
  for (const size of [40, 300, 1200, 60_000]) {
    for (const f of frames) {
      const packets = packetize('VP8', [f], 1, size); // werift's descriptors: X, I and a 15-bit picture ID
      const ours = depacketizeVp8(packets.map((p) => p.payload));
      const theirs = dePacketizeRtpPackets('VP8', packets);
      assert.ok(ours.data.equals(theirs.data), `size ${size}: same VP8 bytes (${ours.data.length} vs ${theirs.data.length})`);
      assert.ok(ours.data.equals(f.data), 'the very frame the encoder made');
      assert.equal(ours.keyframe, f.keyframe, 'keyframe flag matches the encoder\'s');
    }
  }
});

test('VP8: every descriptor layout is read as RFC 7741 lays it out, and as werift reads it (fast-check)', () => {
  fc.assert(fc.property(
    fc.record({
      s: fc.boolean(), pid: fc.integer({ min: 0, max: 7 }),
      pictureId: fc.constantFrom<7 | 15 | undefined>(undefined, 7, 15), tl0: fc.boolean(), tidOrKeyIdx: fc.boolean(),
    }),
    fc.uint8Array({ minLength: 3, maxLength: 40 }),
    (d, body) => {
      const head = descriptor(d);
      const payload = Buffer.from([...head, ...body]);
      const ours = readVp8Descriptor(payload);
      assert.equal(ours.offset, head.length, 'the descriptor\'s own length');
      assert.equal(ours.startsFrame, d.s && d.pid === 0);
      // werift skips the TID/KEYIDX octet only when L or K is set, not on T alone, and skips it when L
      // is set alone: it agrees with the RFC when L and T come together (what Chrome sends with
      // temporal layers) or neither does (without).
      if (d.tl0 !== d.tidOrKeyIdx) return;
      const theirs = Vp8RtpPayload.deSerialize(payload);
      assert.equal(payload.length - ours.offset, theirs.payload.length, 'same descriptor length as werift');
      assert.equal(ours.startsFrame, theirs.payloadHeaderExist);
      assert.equal(depacketizeVp8([payload]).keyframe, theirs.isKeyframe);
    },
  ));
});

test('VP8: a keyframe only from the first partition\'s head; empty payloads carry nothing; a cut descriptor throws', () => {
  const keyHead = Buffer.from([...descriptor({ s: true, pid: 0, pictureId: 15 }), 0x10, 0x02, 0x00]);
  const deltaHead = Buffer.from([...descriptor({ s: true, pid: 0, pictureId: 15 }), 0x11, 0x02, 0x00]);
  // P = 0 in a packet that does not start partition 0 is VP8 data, not a payload header.
  const notHead = Buffer.from([...descriptor({ s: false, pid: 0, pictureId: 15 }), 0x10]);
  assert.equal(depacketizeVp8([keyHead, notHead]).keyframe, true);
  assert.equal(depacketizeVp8([deltaHead, notHead]).keyframe, false);
  assert.deepEqual([...depacketizeVp8([deltaHead, Buffer.alloc(0), notHead]).data], [0x11, 0x02, 0x00, 0x10]);
  assert.throws(() => depacketizeVp8([Buffer.from([0x80])]), /cut after its first octet/);
  assert.throws(() => depacketizeVp8([Buffer.from([0x90, 0x80 | 0x40])]), /payload descriptor of/);
});
