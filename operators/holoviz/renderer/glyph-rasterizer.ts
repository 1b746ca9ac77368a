import type { PathCommand } from 'opentype.js';

/** A glyph's coverage bitmap (0..255, top row first) and where it sits relative to the pen position. */
export interface GlyphBitmap {
  width: number;
  height: number;
  /** Pixels from the pen position to the bitmap's left edge, and from the baseline to its top (y down). */
  left: number;
  top: number;
  data: Uint8Array;
}

const SUBSAMPLES = 4; // scanlines per pixel row; coverage along x is computed exactly
const CURVE_STEPS = 8;

/**
 * Rasterizes a glyph outline (opentype.js path commands in pixels, y down, origin at the pen on the
 * baseline) with the nonzero winding rule, antialiased. Curves are flattened into short lines.
 */
export function rasterizeOutline(commands: PathCommand[], padding = 1): GlyphBitmap {
  const edges: number[] = []; // x0, y0, x1, y1 per edge
  let sx = 0, sy = 0, cx = 0, cy = 0;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  const line = (x: number, y: number) => {
    if (y !== cy) edges.push(cx, cy, x, y);
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    cx = x; cy = y;
  };
  for (const c of commands) {
    switch (c.type) {
      case 'M':
        if (cx !== sx || cy !== sy) line(sx, sy);
        sx = cx = c.x; sy = cy = c.y;
        minX = Math.min(minX, cx); maxX = Math.max(maxX, cx); minY = Math.min(minY, cy); maxY = Math.max(maxY, cy);
        break;
      case 'L': line(c.x, c.y); break;
      case 'Q': {
        const x0 = cx, y0 = cy;
        for (let i = 1; i <= CURVE_STEPS; i++) {
          const t = i / CURVE_STEPS, u = 1 - t;
          line(u * u * x0 + 2 * u * t * c.x1 + t * t * c.x, u * u * y0 + 2 * u * t * c.y1 + t * t * c.y);
        }
        break;
      }
      case 'C': {
        const x0 = cx, y0 = cy;
        for (let i = 1; i <= CURVE_STEPS; i++) {
          const t = i / CURVE_STEPS, u = 1 - t;
          line(u * u * u * x0 + 3 * u * u * t * c.x1 + 3 * u * t * t * c.x2 + t * t * t * c.x,
            u * u * u * y0 + 3 * u * u * t * c.y1 + 3 * u * t * t * c.y2 + t * t * t * c.y);
        }
        break;
      }
      case 'Z': line(sx, sy); break;
    }
  }
  if (cx !== sx || cy !== sy) line(sx, sy);
  if (!Number.isFinite(minX)) return { width: 0, height: 0, left: 0, top: 0, data: new Uint8Array(0) };

  const left = Math.floor(minX) - padding;
  const top = Math.floor(minY) - padding;
  const width = Math.ceil(maxX) + padding - left;
  const height = Math.ceil(maxY) + padding - top;
  const cover = new Float32Array(width * height);
  const xs: number[] = [];
  const dirs: number[] = [];
  const order: number[] = [];
  for (let row = 0; row < height; row++) {
    for (let s = 0; s < SUBSAMPLES; s++) {
      const y = top + row + (s + 0.5) / SUBSAMPLES;
      xs.length = dirs.length = order.length = 0;
      for (let e = 0; e < edges.length; e += 4) {
        const y0 = edges[e + 1], y1 = edges[e + 3];
        if ((y >= y0 && y < y1) || (y >= y1 && y < y0)) {
          const x0 = edges[e], x1 = edges[e + 2];
          xs.push(x0 + ((y - y0) / (y1 - y0)) * (x1 - x0) - left);
          dirs.push(y1 > y0 ? 1 : -1);
          order.push(order.length);
        }
      }
      order.sort((a, b) => xs[a] - xs[b]);
      let winding = 0;
      for (let k = 0; k < order.length; k++) {
        const wasInside = winding !== 0;
        winding += dirs[order[k]];
        if (wasInside && k > 0) addSpan(cover, row * width, width, xs[order[k - 1]], xs[order[k]], 1 / SUBSAMPLES);
      }
    }
  }
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.round(cover[i] * 255));
  return { width, height, left, top, data };
}

/** Adds `weight` times the exact horizontal overlap of [xa, xb) with each pixel of one row. */
function addSpan(cover: Float32Array, rowStart: number, width: number, xa: number, xb: number, weight: number): void {
  if (xb <= xa) return;
  const first = Math.max(0, Math.floor(xa));
  const last = Math.min(width - 1, Math.ceil(xb) - 1);
  for (let px = first; px <= last; px++) {
    const overlap = Math.min(xb, px + 1) - Math.max(xa, px);
    if (overlap > 0) cover[rowStart + px] += overlap * weight;
  }
}
