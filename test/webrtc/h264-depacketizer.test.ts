import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dePacketizeRtpPackets } from 'werift';
import { depacketizeH264 } from '../../operators/webrtc/h264-depacketizer.ts';
import { encodePattern } from './encode.ts';
import { packetize } from './rtp-sender.ts';

test('H.264: our depacketizer gives werift\'s bytes and keyframe flag for real frames (single NAL, STAP-A, FU-A)', () => {
  const frames = encodePattern('H264', 320, 240, 12, 6);
  let fua = 0, stap = 0, single = 0;
  // werift's packetizer, as a browser sends: STAP-A for SPS+PPS. Small payloads force FU-A on every slice;
  // large ones leave single NAL units.
  for (const size of [60, 300, 1200, 60_000]) {
    for (const f of frames) {
      const packets = packetize('H264', [f], 1, size);
      for (const p of packets) { const t = p.payload[0] & 0x1f; if (t === 28) fua++; else if (t === 24) stap++; else single++; }
      const ours = depacketizeH264(packets.map((p) => p.payload));
      const theirs = dePacketizeRtpPackets('MPEG4/ISO/AVC', packets);
      assert.ok(ours.data.equals(theirs.data), `size ${size}: same Annex B bytes (${ours.data.length} vs ${theirs.data.length})`);
      assert.equal(ours.keyframe, theirs.isKeyframe);
      assert.equal(ours.keyframe, f.keyframe, 'keyframe flag matches the encoder\'s');
    }
  }
  assert.ok(fua > 0 && stap > 0 && single > 0, `every payload kind was exercised (FU-A ${fua}, STAP-A ${stap}, single ${single})`);
});

test('H.264: a FU-A whose start fragment was lost is left out; malformed STAP-A and FU-A throw', () => {
  const [key] = encodePattern('H264', 320, 240, 1, 1);
  const packets = packetize('H264', [key], 1, 100);
  const firstFu = packets.findIndex((p) => (p.payload[0] & 0x1f) === 28);
  const withoutHead = packets.filter((_, i) => i !== firstFu).map((p) => p.payload);
  const out = depacketizeH264(withoutHead);
  const whole = depacketizeH264(packets.map((p) => p.payload));
  assert.ok(out.data.length < whole.data.length, 'the headless NAL unit is dropped');
  assert.throws(() => depacketizeH264([Buffer.from([24, 0, 10, 0x67])]), /STAP-A/);
  assert.throws(() => depacketizeH264([Buffer.from([28])]), /FU-A/);
  // Padding-only (empty) payloads and reserved types carry nothing.
  assert.equal(depacketizeH264([Buffer.alloc(0), Buffer.from([0x1e, 1, 2])]).data.length, 0);
});
