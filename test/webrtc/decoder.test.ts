import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CODECS, VideoDecoder } from '../../operators/webrtc/index.ts';
import { encodePattern, PATTERN } from './encode.ts';

test('rgba output: libswscale into a preallocated buffer shows the pattern in RGB', async () => {
  const dec = new VideoDecoder(CODECS.VP8, 'rgba');
  try {
    const aus = encodePattern('VP8', 320, 240, 3);
    const pics = [];
    for (const [i, au] of aus.entries()) pics.push(...await dec.decode({ ...au, rtpTimestamp: i * 3000, arrivalTime: 0, packets: 1 }));
    assert.equal(pics.length, 3);
    const f = pics[0].frame;
    assert.equal(f.format, 'rgba');
    assert.equal(f.planes[0].stride, 320 * 4);
    const i = (10 * 320 + 10) * 4;
    const [r, g, b] = f.planes[0].data.subarray(i, i + 3);
    // Y 145, U 54, V 34 (BT.601 limited) is a strong green.
    assert.ok(g > 150 && r < 80 && b < 80, `background is green, got rgb(${r}, ${g}, ${b})`);
  } finally {
    await dec.close();
  }
});

test('a resolution change mid-stream (new keyframe) yields frames of the new size', async () => {
  const dec = new VideoDecoder(CODECS.VP8);
  try {
    const sizes: string[] = [];
    const a = encodePattern('VP8', 320, 240, 3);
    const b = encodePattern('VP8', 640, 360, 3);
    for (const [i, au] of [...a, ...b].entries()) {
      for (const p of await dec.decode({ ...au, rtpTimestamp: i * 3000, arrivalTime: 0, packets: 1 })) {
        sizes.push(`${p.frame.width}x${p.frame.height}`);
        assert.equal(p.frame.planes[0].data.length, p.frame.planes[0].stride * p.frame.height);
      }
    }
    assert.deepEqual(sizes, ['320x240', '320x240', '320x240', '640x360', '640x360', '640x360']);
  } finally {
    await dec.close();
  }
});

test('decoded planes stay valid for RING_SIZE-1 further frames (a ring the decoder owns)', async () => {
  const dec = new VideoDecoder(CODECS.H264);
  try {
    const aus = encodePattern('H264', 320, 240, 4);
    const first = (await dec.decode({ ...aus[0], rtpTimestamp: 0, arrivalTime: 0, packets: 1 }))[0].frame;
    const snapshot = new Uint8Array(first.planes[0].data);
    for (let i = 1; i < 4; i++) await dec.decode({ ...aus[i], rtpTimestamp: i * 3000, arrivalTime: 0, packets: 1 });
    assert.ok(Buffer.compare(first.planes[0].data, snapshot) === 0, "the first picture is unchanged after three more decodes");
    assert.equal(first.planes[1].data[0], PATTERN.u);
  } finally {
    await dec.close();
  }
});

test('garbage input is a DecodeError, not a crash; the decoder keeps working after it', async () => {
  const dec = new VideoDecoder(CODECS.H264);
  try {
    await assert.rejects(dec.decode({ data: Buffer.from([0, 0, 0, 1, 0x65, 0xff, 0xff, 0xff, 0, 1, 2]), keyframe: true, rtpTimestamp: 0, arrivalTime: 0, packets: 1 }), /DecodeError|rejected|failed/);
    const aus = encodePattern('H264', 320, 240, 2);
    const pics = await dec.decode({ ...aus[0], rtpTimestamp: 3000, arrivalTime: 0, packets: 1 });
    assert.equal(pics.length, 1);
  } finally {
    await dec.close();
  }
});
