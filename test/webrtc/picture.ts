import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import { lumaOf, type VideoFrame } from '../../operators/messages/index.ts';
import { frameToRgba } from '../../operators/video/index.ts';

/** Writes a PNG and reads it back, returning per-channel means and the luma standard deviation of the file's pixels. */
export function writePng(path: string, frame: VideoFrame): { mean: [number, number, number]; lumaStd: number } {
  const png = new PNG({ width: frame.width, height: frame.height });
  png.data = Buffer.from(frameToRgba(frame));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, PNG.sync.write(png));
  const back = PNG.sync.read(Buffer.from(PNG.sync.write(png)));
  let r = 0, g = 0, b = 0, l = 0, l2 = 0, n = 0;
  for (let i = 0; i < back.data.length; i += 16) {
    r += back.data[i]; g += back.data[i + 1]; b += back.data[i + 2];
    const y = lumaOf(back.data[i], back.data[i + 1], back.data[i + 2]);
    l += y; l2 += y * y; n++;
  }
  return { mean: [r / n, g / n, b / n], lumaStd: Math.sqrt(Math.max(0, l2 / n - (l / n) ** 2)) };
}
