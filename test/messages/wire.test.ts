import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EncodedFrame, VideoFrame, allocateFrame } from '../../operators/messages/index.ts';

test('VideoFrame crosses as a header plus one binary part per plane, and comes back whole', () => {
  const frame = allocateFrame('nv12', 6, 4, 42);
  frame.planes[0].data.fill(7);
  frame.planes[1].data.fill(9);
  const wire = VideoFrame.wire!.encode(frame);
  assert.deepEqual(wire.header, { width: 6, height: 4, format: 'nv12', timestamp: 42, strides: [6, 6] });
  assert.equal(wire.parts.length, 2);
  assert.ok(wire.parts.every((p, i) => p === frame.planes[i].data), 'parts are the planes themselves, not copies');
  assert.deepEqual(VideoFrame.wire!.decode(wire), frame);
});

test('a VideoFrame header that does not match its parts is refused with the reason', () => {
  const wire = VideoFrame.wire!.encode(allocateFrame('yuv420p', 4, 4));
  assert.throws(() => VideoFrame.wire!.decode({ header: wire.header, parts: wire.parts.slice(0, 2) }), /2 planes arrived for 3 strides/);
  assert.throws(() => VideoFrame.wire!.decode({ header: { ...(wire.header as object), format: 'bgr' }, parts: wire.parts }), /format/);
});

test('EncodedFrame crosses as its fields plus the bitstream', () => {
  const frame = { codec: 'H264' as const, keyframe: true, timestamp: 33.3, data: new Uint8Array([0, 0, 0, 1, 0x67]), streamId: 's1', width: 1280, height: 720 };
  const wire = EncodedFrame.wire!.encode(frame);
  assert.equal(wire.parts[0], frame.data);
  assert.deepEqual(EncodedFrame.wire!.decode(wire), frame);
  assert.throws(() => EncodedFrame.wire!.decode({ header: { ...(wire.header as object), codec: 'MPEG2' }, parts: wire.parts }), /codec/);
});
