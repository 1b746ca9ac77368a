/**
 * A user operator, loaded from YAML by path (`type: ./frame-stats.ts#FrameStatsOp`): it measures each
 * frame and describes what it found as geometry for HolovizOp.
 *  - the mean brightness (luma), as a text label;
 *  - a box around what moved since the last frame (differences of a coarse luma grid);
 *  - a crosshair at the frame's centre.
 * It passes the frame on unchanged, so the renderer shows the picture with the overlay on top.
 */
import { z } from 'zod';
import { defineOperator, port } from '../../framework/index.ts';
import { GeometryMessage, lumaOf, VideoFrame } from '../../operators/messages/index.ts';

/** Coarse grid: motion is found per cell, which is robust to noise and cheap (one sample per 4x4 pixels). */
const GRID_W = 64;
const GRID_H = 36;

export const FrameStatsOp = defineOperator({
  name: 'FrameStatsOp',
  description: 'mean brightness, a motion box and a crosshair for each frame, as Holoviz geometry',
  params: z.object({
    motion_threshold: z.number().min(1).max(255).default(24).describe('luma change (0-255) that counts as motion in a grid cell'),
    min_cells: z.number().int().min(1).default(3).describe('fewest moving cells that make a motion box'),
  }).strict(),
  inputs: { in: port(VideoFrame) },
  outputs: { frame: port(VideoFrame), overlay: port(GeometryMessage) },
  initialize: () => ({ previous: new Float32Array(GRID_W * GRID_H), current: new Float32Array(GRID_W * GRID_H), primed: false }),
  compute({ in: frame }, emit, ctx) {
    const { current, previous } = ctx.state;
    const mean = sampleLuma(frame, current);
    const box = ctx.state.primed ? motionBox(previous, current, ctx.params.motion_threshold, ctx.params.min_cells) : null;
    previous.set(current);
    ctx.state.primed = true;

    emit.frame(frame);
    emit.overlay({ layer: 'label', data: [[0.02, 0.04, 0.05]], text: [`brightness ${mean.toFixed(1)}`] });
    emit.overlay({ layer: 'crosshair', data: [[0.5, 0.5, 0.08]] });
    // An empty box list clears the previous box when nothing moves.
    emit.overlay({ layer: 'motion', data: box ? [[box.x0, box.y0], [box.x1, box.y1]] : [] });
  },
});

/** Fills `grid` with the mean luma of each cell and returns the frame's mean luma (0-255). */
export function sampleLuma(frame: VideoFrame, grid: Float32Array): number {
  const { width, height, format } = frame;
  const plane = frame.planes[0];
  let total = 0;
  for (let gy = 0; gy < GRID_H; gy++) {
    for (let gx = 0; gx < GRID_W; gx++) {
      let sum = 0;
      let n = 0;
      const x0 = Math.floor((gx * width) / GRID_W), x1 = Math.floor(((gx + 1) * width) / GRID_W);
      const y0 = Math.floor((gy * height) / GRID_H), y1 = Math.floor(((gy + 1) * height) / GRID_H);
      for (let y = y0; y < y1; y += 4) {
        for (let x = x0; x < x1; x += 4) {
          sum += lumaAt(plane.data, plane.stride, format, x, y);
          n++;
        }
      }
      const v = n ? sum / n : 0;
      grid[gy * GRID_W + gx] = v;
      total += v;
    }
  }
  return total / (GRID_W * GRID_H);
}

function lumaAt(data: Uint8Array, stride: number, format: VideoFrame['format'], x: number, y: number): number {
  switch (format) {
    case 'yuv420p': case 'nv12': case 'gray': return data[y * stride + x];
    case 'rgba': { const i = y * stride + x * 4; return lumaOf(data[i], data[i + 1], data[i + 2]); }
    case 'rgb': { const i = y * stride + x * 3; return lumaOf(data[i], data[i + 1], data[i + 2]); }
  }
}

/** The bounding box (normalized, origin top-left) of the cells whose luma changed by more than `threshold`. */
export function motionBox(previous: Float32Array, current: Float32Array, threshold: number, minCells: number): { x0: number; y0: number; x1: number; y1: number } | null {
  let minX = GRID_W, minY = GRID_H, maxX = -1, maxY = -1, cells = 0;
  for (let gy = 0; gy < GRID_H; gy++) {
    for (let gx = 0; gx < GRID_W; gx++) {
      const i = gy * GRID_W + gx;
      if (Math.abs(current[i] - previous[i]) < threshold) continue;
      cells++;
      if (gx < minX) minX = gx;
      if (gx > maxX) maxX = gx;
      if (gy < minY) minY = gy;
      if (gy > maxY) maxY = gy;
    }
  }
  if (cells < minCells) return null;
  return { x0: minX / GRID_W, y0: minY / GRID_H, x1: (maxX + 1) / GRID_W, y1: (maxY + 1) / GRID_H };
}
