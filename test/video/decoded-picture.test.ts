/**
 * PictureConverter without a decoder: node-av Frames made here in the layouts decoders hand back, turned
 * into VideoFrames. Pictures are checked by value: each plane carries its own level, so a swapped or
 * shifted plane shows.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { Frame } from 'node-av';
import { AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUVJ420P, type AVPixelFormat } from 'node-av/constants';
import { PictureConverter } from '../../operators/media/decoded-picture.ts';

const fail = (message: string, code: number) => new Error(`${message} (${code})`);

/** A Frame of `format` whose planes are filled with the levels given, one per plane. */
function frameOf(format: AVPixelFormat, width: number, height: number, levels: number[]): Frame {
  const f = new Frame();
  f.alloc();
  f.format = format;
  f.width = width;
  f.height = height;
  assert.ok(f.allocBuffer() >= 0);
  f.data!.forEach((plane, i) => plane.fill(levels[i]));
  return f;
}

const rows = (plane: { data: Uint8Array; stride: number }, width: number) =>
  Array.from({ length: plane.data.length / plane.stride }, (_, y) => plane.data.subarray(y * plane.stride, y * plane.stride + width));

test('yuv420p is copied as it is, and each picture stays valid for ringSize - 1 more', () => {
  const conv = new PictureConverter('yuv420p', 3, fail);
  const pics = [10, 20, 30].map((level) => conv.toVideoFrame(frameOf(AV_PIX_FMT_YUV420P, 64, 48, [level, 128, 200]), level));
  for (const [i, vf] of pics.entries()) {
    assert.equal(vf.format, 'yuv420p');
    assert.equal(vf.timestamp, [10, 20, 30][i]);
    assert.deepEqual(vf.planes.map((p) => p.data.length / p.stride), [48, 24, 24]);
    assert.ok(rows(vf.planes[0], 64).every((r) => r.every((v) => v === [10, 20, 30][i])), `picture ${i} luma intact`);
    assert.ok(rows(vf.planes[2], 32).every((r) => r.every((v) => v === 200)));
  }
  const fourth = conv.toVideoFrame(frameOf(AV_PIX_FMT_YUV420P, 64, 48, [40, 128, 200]), 40);
  assert.equal(fourth.planes[0].data[0], 40);
  assert.equal(pics[0].planes[0].data[0], 40, 'the ring of 3 reuses the first slot for the fourth picture');
  assert.equal(pics[1].planes[0].data[0], 20);
  conv.close();
});

test('full-range 4:2:0 (yuvj420p) says so; a size change remakes the ring', () => {
  const conv = new PictureConverter('yuv420p', 2, fail);
  const a = conv.toVideoFrame(frameOf(AV_PIX_FMT_YUVJ420P, 32, 32, [0, 128, 255]), 0);
  assert.equal(a.colorRange, 'full');
  assert.equal(a.planes[0].data[0], 0);
  const b = conv.toVideoFrame(frameOf(AV_PIX_FMT_YUV420P, 48, 16, [77, 128, 128]), 1);
  assert.deepEqual([b.width, b.height, b.colorRange], [48, 16, 'limited']);
  assert.ok(rows(b.planes[0], 48).every((r) => r.every((v) => v === 77)));
  assert.equal(a.planes[0].data[0], 0, 'a picture of the old size is untouched by the new ring');
  conv.close();
});

test('4:4:4 becomes yuv420p and any layout becomes rgba through libswscale, planes and levels kept', () => {
  const yuv = new PictureConverter('yuv420p', 2, fail).toVideoFrame(frameOf(AV_PIX_FMT_YUV444P, 64, 32, [100, 60, 180]), 0);
  assert.deepEqual(yuv.planes.map((p) => p.data.length / p.stride), [32, 16, 16]);
  assert.ok(rows(yuv.planes[0], 64).every((r) => r.every((v) => Math.abs(v - 100) <= 1)));
  assert.ok(rows(yuv.planes[1], 32).every((r) => r.every((v) => Math.abs(v - 60) <= 1)));
  assert.ok(rows(yuv.planes[2], 32).every((r) => r.every((v) => Math.abs(v - 180) <= 1)));
  // Grey (Y 126, U = V = 128, limited range) is about 128 in each of R, G and B, alpha opaque.
  const rgba = new PictureConverter('rgba', 2, fail).toVideoFrame(frameOf(AV_PIX_FMT_YUV420P, 64, 32, [126, 128, 128]), 0);
  assert.equal(rgba.format, 'rgba');
  assert.ok(rgba.planes[0].stride >= 64 * 4);
  const px = rgba.planes[0].data.subarray(0, 4);
  assert.ok(Math.abs(px[0] - 128) <= 3 && Math.abs(px[1] - 128) <= 3 && Math.abs(px[2] - 128) <= 3 && px[3] === 255, `grey pixel ${[...px]}`);
});
