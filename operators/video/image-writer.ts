import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { z } from 'zod';
import { defineOperator, pathParam, port } from '../../framework/index.ts';
import { VideoFrame } from '../messages/index.ts';
import { frameToRgba } from './frame-to-rgb.ts';

export const ImageWriterParams = z.object({
  directory: pathParam().describe('where the PNG files go (created if missing)'),
  prefix: z.string().default('frame_').describe('file names are <prefix><6-digit index>.png'),
  every: z.number().int().positive().default(1).describe('write every Nth frame'),
  max_count: z.number().int().nonnegative().default(0).describe('stop writing after this many files (0: no limit)'),
}).strict();

/** Encodes a frame as PNG (RGB, converted on the CPU from any pixel format). */
export function encodePng(frame: VideoFrame): Buffer {
  const rgba = frameToRgba(frame);
  const png = new PNG({ width: frame.width, height: frame.height, colorType: 2, inputColorType: 6, inputHasAlpha: true });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true });
}

/** Writes incoming frames as PNG files; handy to look at what a graph produces without a window. */
export const ImageWriterOp = defineOperator({
  name: 'ImageWriterOp',
  description: 'writes incoming frames as PNG files (every Nth, up to max_count)',
  module: import.meta.url, // lets a worker pool load it
  params: ImageWriterParams,
  inputs: { in: port(VideoFrame) },
  initialize: () => ({ seen: 0, written: 0, files: [] as string[], dirReady: false }),
  async compute({ in: frame }, _emit, ctx) {
    const s = ctx.state;
    const p = ctx.params;
    const n = s.seen++;
    if (n % p.every !== 0) return;
    // Past max_count frames are still consumed (and dropped): a disabled writer would hold its upstream's
    // output full, and with it every other consumer of that output (a fan-out to a window, say).
    if (p.max_count > 0 && s.written >= p.max_count) return;
    if (!s.dirReady) { await mkdir(p.directory, { recursive: true }); s.dirReady = true; }
    const file = join(p.directory, `${p.prefix}${String(s.written).padStart(6, '0')}.png`);
    // Written beside and renamed, so a reader (a test, a file watcher) never sees half a PNG.
    await writeFile(`${file}.part`, encodePng(frame));
    await rename(`${file}.part`, file);
    s.written++;
    s.files.push(file);
  },
  stop(ctx) {
    ctx.log.info(`wrote ${ctx.state.written} PNG files to ${ctx.params.directory}`);
  },
});
