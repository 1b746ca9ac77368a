import { z } from 'zod';
import { defineOperator, port } from '../../framework/index.ts';
import { allocateFrame, lumaOf, PixelFormat, VideoFrame } from '../messages/index.ts';
import { drawTimeCode } from './time-code.ts';

/** SMPTE-like colour bars, RGB: white, yellow, cyan, green, magenta, red, blue, black. */
export const COLOR_BARS: readonly (readonly [number, number, number])[] = [
  [255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0],
];

const Rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);

export const TestPatternParams = z.object({
  width: z.number().int().min(2).max(8192).default(640),
  height: z.number().int().min(2).max(8192).default(480),
  format: PixelFormat.default('rgba').describe('pixel format of the frames'),
  pattern: z.enum(['bars', 'moving_box', 'solid']).default('bars'),
  color: Rgb.default([255, 255, 255]).describe('solid: the colour; moving_box: the box colour'),
  box_size: z.number().positive().max(1).default(0.2).describe('moving_box: side as a fraction of the height'),
  speed: z.number().default(4).describe('moving_box: pixels per frame'),
  fps: z.number().positive().default(30).describe('timestamps advance by 1000/fps ms per frame'),
  time_code: z.boolean().default(false).describe('draw the wall-clock time (ms) as a time code across the top eighth, so a viewer can measure latency'),
}).strict();
export type TestPatternParams = z.output<typeof TestPatternParams>;

/** BT.601 limited-range YUV of an RGB colour, integer, as encoders produce it. */
export function rgbToYuv601([r, g, b]: readonly [number, number, number]): [number, number, number] {
  const y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255;
  const u = 128 + (-37.797 * r - 74.203 * g + 112 * b) / 255;
  const v = 128 + (112 * r - 93.786 * g - 18.214 * b) / 255;
  return [Math.round(y), Math.round(u), Math.round(v)];
}

/** Fills a rectangle of a frame with one RGB colour, in the frame's own format. */
export function fillRect(frame: VideoFrame, x0: number, y0: number, x1: number, y1: number, rgb: readonly [number, number, number]): void {
  x0 = Math.max(0, Math.floor(x0)); y0 = Math.max(0, Math.floor(y0));
  x1 = Math.min(frame.width, Math.ceil(x1)); y1 = Math.min(frame.height, Math.ceil(y1));
  if (x1 <= x0 || y1 <= y0) return;
  const [p0, p1, p2] = frame.planes;
  switch (frame.format) {
    case 'rgba': case 'rgb': {
      const bpp = frame.format === 'rgba' ? 4 : 3;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
        const i = y * p0.stride + x * bpp;
        p0.data[i] = rgb[0]; p0.data[i + 1] = rgb[1]; p0.data[i + 2] = rgb[2];
        if (bpp === 4) p0.data[i + 3] = 255;
      }
      return;
    }
    case 'gray': {
      const g = Math.round(lumaOf(rgb[0], rgb[1], rgb[2]));
      for (let y = y0; y < y1; y++) p0.data.fill(g, y * p0.stride + x0, y * p0.stride + x1);
      return;
    }
    case 'yuv420p': case 'nv12': {
      const [Y, U, V] = rgbToYuv601(rgb);
      for (let y = y0; y < y1; y++) p0.data.fill(Y, y * p0.stride + x0, y * p0.stride + x1);
      // Chroma covers 2x2 pixels: a rectangle on odd edges takes the chroma samples it touches.
      for (let cy = y0 >> 1; cy < (y1 + 1) >> 1; cy++) for (let cx = x0 >> 1; cx < (x1 + 1) >> 1; cx++) {
        if (frame.format === 'yuv420p') { p1.data[cy * p1.stride + cx] = U; p2.data[cy * p2.stride + cx] = V; }
        else { p1.data[cy * p1.stride + cx * 2] = U; p1.data[cy * p1.stride + cx * 2 + 1] = V; }
      }
      return;
    }
  }
}

/**
 * A camera stand-in: one VideoFrame per compute (colour bars, a moving box or a solid colour).
 * A source: bound it with a count or periodic condition.
 */
export const TestPatternOp = defineOperator({
  name: 'TestPatternOp',
  description: 'emits test frames (colour bars, a moving box, a solid colour) in any pixel format',
  module: import.meta.url, // lets a worker pool load it
  params: TestPatternParams,
  outputs: { out: port(VideoFrame) },
  initialize: () => ({ index: 0 }),
  compute(_inputs, emit, ctx) {
    const frame = renderTestPattern(ctx.params, ctx.state.index);
    if (ctx.params.time_code) drawTimeCode(frame, performance.timeOrigin + performance.now());
    emit.out(frame);
    ctx.state.index++;
  },
});

/** Frame number `index` of a pattern (a fresh frame: downstream may keep it). */
export function renderTestPattern(p: TestPatternParams, index: number): VideoFrame {
  const frame = allocateFrame(p.format, p.width, p.height, (index * 1000) / p.fps);
  const { width: w, height: h } = p;
  switch (p.pattern) {
    case 'solid':
      fillRect(frame, 0, 0, w, h, p.color);
      break;
    case 'bars':
      for (let i = 0; i < COLOR_BARS.length; i++) fillRect(frame, Math.round((i * w) / COLOR_BARS.length), 0, Math.round(((i + 1) * w) / COLOR_BARS.length), h, COLOR_BARS[i]);
      break;
    case 'moving_box': {
      fillRect(frame, 0, 0, w, h, [32, 32, 32]);
      const side = Math.max(2, Math.round(p.box_size * h));
      const travel = Math.max(1, w - side);
      // Bounces between the left and right edges.
      const pos = Math.abs(((index * p.speed) % (2 * travel)) - travel);
      const x = travel - pos;
      const y = Math.round((h - side) / 2);
      fillRect(frame, x, y, x + side, y + side, p.color);
      break;
    }
  }
  return frame;
}
