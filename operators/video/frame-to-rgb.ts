import { LUMA_WEIGHTS, type VideoFrame } from '../messages/index.ts';

/** Integer BT.601 / BT.709 coefficients (x 2^16) for CPU conversion; same formulas as HolovizOp's shader. */
function coefficients(space: 'bt601' | 'bt709', range: 'limited' | 'full') {
  const { kr, kb } = LUMA_WEIGHTS[space];
  const kg = 1 - kr - kb;
  const ys = range === 'limited' ? 255 / 219 : 1;
  const cs = range === 'limited' ? 255 / 224 : 1;
  const F = 65536;
  return {
    yOff: range === 'limited' ? 16 : 0,
    y: Math.round(ys * F),
    rv: Math.round(2 * (1 - kr) * cs * F),
    gu: Math.round(((2 * kb * (1 - kb)) / kg) * cs * F),
    gv: Math.round(((2 * kr * (1 - kr)) / kg) * cs * F),
    bu: Math.round(2 * (1 - kb) * cs * F),
  };
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * Converts any VideoFrame to tightly packed RGBA on the CPU (`out` reused when given). Integer
 * fixed-point math in one pass per row: the straightforward JS baseline HolovizOp's shader is
 * measured against, and what ImageWriterOp uses to write PNGs.
 */
export function frameToRgba(frame: VideoFrame, out?: Uint8Array): Uint8Array {
  const { width: w, height: h } = frame;
  const dst = out && out.length >= w * h * 4 ? out : new Uint8Array(w * h * 4);
  const p0 = frame.planes[0];
  switch (frame.format) {
    case 'rgba':
      for (let y = 0; y < h; y++) dst.set(p0.data.subarray(y * p0.stride, y * p0.stride + w * 4), y * w * 4);
      return dst;
    case 'rgb':
      for (let y = 0; y < h; y++) {
        let s = y * p0.stride, d = y * w * 4;
        for (let x = 0; x < w; x++, s += 3, d += 4) { dst[d] = p0.data[s]; dst[d + 1] = p0.data[s + 1]; dst[d + 2] = p0.data[s + 2]; dst[d + 3] = 255; }
      }
      return dst;
    case 'gray':
      for (let y = 0; y < h; y++) {
        let s = y * p0.stride, d = y * w * 4;
        for (let x = 0; x < w; x++, s++, d += 4) { const g = p0.data[s]; dst[d] = g; dst[d + 1] = g; dst[d + 2] = g; dst[d + 3] = 255; }
      }
      return dst;
    case 'yuv420p':
    case 'nv12': {
      const c = coefficients(frame.colorSpace ?? 'bt601', frame.colorRange ?? 'limited');
      const Y = p0.data, ys = p0.stride;
      const p1 = frame.planes[1];
      const nv12 = frame.format === 'nv12';
      const U = p1.data, us = p1.stride;
      const V = nv12 ? p1.data : frame.planes[2].data;
      const vs = nv12 ? p1.stride : frame.planes[2].stride;
      const step = nv12 ? 2 : 1, vo = nv12 ? 1 : 0;
      const H = 32768; // rounding
      for (let y = 0; y < h; y++) {
        const yr = y * ys, ur = (y >> 1) * us, vr = (y >> 1) * vs;
        let d = y * w * 4;
        for (let x = 0; x < w; x++, d += 4) {
          const cx = (x >> 1) * step;
          const yy = (Y[yr + x] - c.yOff) * c.y + H;
          const u = U[ur + cx] - 128, v = V[vr + cx + vo] - 128;
          dst[d] = clamp((yy + c.rv * v) >> 16);
          dst[d + 1] = clamp((yy - c.gu * u - c.gv * v) >> 16);
          dst[d + 2] = clamp((yy + c.bu * u) >> 16);
          dst[d + 3] = 255;
        }
      }
      return dst;
    }
    default:
      throw new Error(`unsupported pixel format '${(frame as VideoFrame).format}'`);
  }
}
