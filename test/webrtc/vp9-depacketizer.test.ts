import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Vp9RtpPayload, dePacketizeRtpPackets } from 'werift';
import { depacketizeVp9, readVp9Descriptor } from '../../operators/webrtc/vp9-depacketizer.ts';
import { encodePattern } from './encode.ts';
import { packetize } from './rtp-sender.ts';

/** A payload descriptor as RFC 9628 lays it out, every optional part switchable. */
interface Layout {
  i?: 7 | 15; p: boolean; l?: { sid: number; tid: number }; f: boolean; b: boolean; e: boolean;
  diffs: number; ss?: { layers: number; sizes: boolean; group: number[] };
}
function descriptor(d: Layout): number[] {
  const out = [(d.i ? 0x80 : 0) | (d.p ? 0x40 : 0) | (d.l ? 0x20 : 0) | (d.f ? 0x10 : 0) | (d.b ? 0x08 : 0) | (d.e ? 0x04 : 0) | (d.ss ? 0x02 : 0)];
  if (d.i === 7) out.push(0x35);
  if (d.i === 15) out.push(0x80 | 0x12, 0x34);
  if (d.l) { out.push((d.l.tid << 5) | (d.l.sid << 1)); if (!d.f) out.push(9); }
  if (d.f && d.p) for (let k = 0; k < d.diffs; k++) out.push((k + 1) << 1 | (k < d.diffs - 1 ? 1 : 0));
  if (d.ss) {
    out.push(((d.ss.layers - 1) << 5) | (d.ss.sizes ? 0x10 : 0) | (d.ss.group.length ? 0x08 : 0));
    if (d.ss.sizes) for (let k = 0; k < d.ss.layers; k++) out.push(0x05, 0x00, 0x02, 0xd0);
    if (d.ss.group.length) { out.push(d.ss.group.length); for (const r of d.ss.group) { out.push(r << 2); for (let k = 0; k < r; k++) out.push(1); } }
  }
  return out;
}

test('VP9: our depacketizer gives werift\'s bytes and the encoder\'s keyframe flag for real frames', () => {
  const frames = encodePattern('VP9', 320, 240, 12, 6);
  for (const size of [40, 300, 1200, 60_000]) {
    for (const f of frames) {
      const packets = packetize('VP9', [f], 1, size);
      const ours = depacketizeVp9(packets.map((p) => p.payload));
      const theirs = dePacketizeRtpPackets('VP9', packets);
      assert.ok(ours.data.equals(theirs.data), `size ${size}: same VP9 bytes (${ours.data.length} vs ${theirs.data.length})`);
      assert.ok(ours.data.equals(f.data), 'the very frame the encoder made');
      assert.equal(ours.keyframe, f.keyframe, 'keyframe flag matches the encoder\'s');
    }
  }
});

test('VP9: every descriptor layout is read as RFC 9628 lays it out, and as werift reads it (fast-check)', () => {
  const layout = fc.record({
    i: fc.constantFrom<7 | 15 | undefined>(undefined, 7, 15), p: fc.boolean(), f: fc.boolean(), b: fc.boolean(), e: fc.boolean(),
    l: fc.option(fc.record({ sid: fc.integer({ min: 0, max: 7 }), tid: fc.integer({ min: 0, max: 7 }) }), { nil: undefined }),
    diffs: fc.integer({ min: 1, max: 3 }),
    ss: fc.option(fc.record({ layers: fc.integer({ min: 1, max: 8 }), sizes: fc.boolean(), group: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }) }), { nil: undefined }),
  });
  fc.assert(fc.property(layout, fc.uint8Array({ minLength: 1, maxLength: 30 }), (d, body) => {
    const head = descriptor(d);
    const payload = Buffer.from([...head, ...body]);
    const ours = readVp9Descriptor(payload);
    assert.equal(ours.offset, head.length, 'the descriptor\'s own length');
    const theirs = Vp9RtpPayload.deSerialize(payload);
    assert.equal(payload.length - ours.offset, theirs.payload.length, 'same descriptor length as werift');
    assert.equal(ours.startsFrame, theirs.bBit === 1);
    assert.equal(ours.keyframe, theirs.isKeyframe);
  }));
});

test('VP9: a descriptor cut short throws; empty payloads carry nothing', () => {
  assert.throws(() => depacketizeVp9([Buffer.from([0x80])]), /runs past/);
  assert.throws(() => depacketizeVp9([Buffer.from([0x02, 0xf0, 0x01])]), /runs past/);
  assert.throws(() => depacketizeVp9([Buffer.from([0x50, 0x03, 0x05, 0x07, 0x09])]), /three reference indices/);
  assert.deepEqual([...depacketizeVp9([Buffer.from([0x08, 0xaa]), Buffer.alloc(0), Buffer.from([0x04, 0xbb])]).data], [0xaa, 0xbb]);
  assert.equal(depacketizeVp9([Buffer.from([0x08, 0xaa])]).keyframe, true);
  assert.equal(depacketizeVp9([Buffer.from([0x48, 0xaa])]).keyframe, false);
});
