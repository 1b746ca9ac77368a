import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import type { VideoFrame } from '../../operators/messages/index.ts';

/** BT.601 limited-range YUV 4:2:0 to RGBA, for test artifacts (speed does not matter here). */
export function toRgba(frame: VideoFrame): Uint8Array {
  const out = new Uint8Array(frame.width * frame.height * 4);
  if (frame.format === 'rgba') {
    for (let r = 0; r < frame.height; r++) out.set(frame.planes[0].data.subarray(r * frame.planes[0].stride, r * frame.planes[0].stride + frame.width * 4), r * frame.width * 4);
    return out;
  }
  const [Y, U, V] = frame.planes;
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
  for (let r = 0; r < frame.height; r++) {
    for (let c = 0; c < frame.width; c++) {
      const y = 1.164 * (Y.data[r * Y.stride + c] - 16);
      const u = U.data[(r >> 1) * U.stride + (c >> 1)] - 128;
      const v = V.data[(r >> 1) * V.stride + (c >> 1)] - 128;
      const i = (r * frame.width + c) * 4;
      out[i] = clamp(y + 1.596 * v);
      out[i + 1] = clamp(y - 0.392 * u - 0.813 * v);
      out[i + 2] = clamp(y + 2.017 * u);
      out[i + 3] = 255;
    }
  }
  return out;
}

/** Writes a PNG and reads it back, returning per-channel means and the luma standard deviation of the file's pixels. */
export function writePng(path: string, frame: VideoFrame): { mean: [number, number, number]; lumaStd: number } {
  const png = new PNG({ width: frame.width, height: frame.height });
  png.data = Buffer.from(toRgba(frame));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, PNG.sync.write(png));
  const back = PNG.sync.read(Buffer.from(PNG.sync.write(png)));
  let r = 0, g = 0, b = 0, l = 0, l2 = 0, n = 0;
  for (let i = 0; i < back.data.length; i += 16) {
    r += back.data[i]; g += back.data[i + 1]; b += back.data[i + 2];
    const y = 0.299 * back.data[i] + 0.587 * back.data[i + 1] + 0.114 * back.data[i + 2];
    l += y; l2 += y * y; n++;
  }
  return { mean: [r / n, g / n, b / n], lumaStd: Math.sqrt(Math.max(0, l2 / n - (l / n) ** 2)) };
}
