import type { GeometryType } from '../layers.ts';
import type { VertexSink } from './vertex-sink.ts';

export interface GeometryStyle {
  lineWidth: number;
}

/** Lays out text into glyph quads (supplied by the glyph atlas, which owns the font). */
export type TextLayout = (sink: VertexSink, text: string, x: number, y: number, sizePx: number) => void;

const OVAL_SEGMENTS = 48;

/**
 * Turns one layer's normalized coordinates into vertices in pixels of a `width` x `height` target.
 * Everything but points becomes triangles: core-profile GL has no wide lines, so lines are quads.
 * Returns whether the vertices are points (GL_POINTS) or triangles.
 */
export function buildGeometry(
  sink: VertexSink, type: GeometryType, data: readonly (readonly number[])[], text: readonly string[],
  width: number, height: number, style: GeometryStyle, layoutText: TextLayout,
): 'points' | 'triangles' {
  sink.reset();
  const lw = style.lineWidth;
  const X = (i: number) => data[i][0] * width;
  const Y = (i: number) => data[i][1] * height;
  switch (type) {
    case 'points':
      for (let i = 0; i < data.length; i++) sink.push(X(i), Y(i));
      return 'points';
    case 'lines':
      for (let i = 0; i + 1 < data.length; i += 2) sink.segment(X(i), Y(i), X(i + 1), Y(i + 1), lw);
      break;
    case 'line_strip':
      for (let i = 0; i + 1 < data.length; i++) sink.segment(X(i), Y(i), X(i + 1), Y(i + 1), lw);
      break;
    case 'triangles':
      for (let i = 0; i + 2 < data.length; i += 3) { sink.push(X(i), Y(i)); sink.push(X(i + 1), Y(i + 1)); sink.push(X(i + 2), Y(i + 2)); }
      break;
    case 'rectangles':
      for (let i = 0; i + 1 < data.length; i += 2) {
        const x0 = X(i), y0 = Y(i), x1 = X(i + 1), y1 = Y(i + 1);
        sink.segment(x0, y0, x1, y0, lw); sink.segment(x1, y0, x1, y1, lw);
        sink.segment(x1, y1, x0, y1, lw); sink.segment(x0, y1, x0, y0, lw);
      }
      break;
    case 'ovals':
      for (let i = 0; i < data.length; i++) {
        const cx = X(i), cy = Y(i), rx = ((data[i][2] ?? 0) * width) / 2, ry = ((data[i][3] ?? data[i][2] ?? 0) * height) / 2;
        let px = cx + rx, py = cy;
        for (let s = 1; s <= OVAL_SEGMENTS; s++) {
          const a = (s / OVAL_SEGMENTS) * Math.PI * 2;
          const qx = cx + Math.cos(a) * rx, qy = cy + Math.sin(a) * ry;
          sink.segment(px, py, qx, qy, lw);
          px = qx; py = qy;
        }
      }
      break;
    case 'crosses':
      for (let i = 0; i < data.length; i++) {
        const cx = X(i), cy = Y(i), h = ((data[i][2] ?? 0.05) * height) / 2;
        sink.segment(cx - h, cy, cx + h, cy, lw);
        sink.segment(cx, cy - h, cx, cy + h, lw);
      }
      break;
    case 'text':
      for (let i = 0; i < data.length && i < text.length; i++) layoutText(sink, text[i], X(i), Y(i), (data[i][2] ?? 0.05) * height);
      break;
  }
  return 'triangles';
}
