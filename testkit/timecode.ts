/**
 * The canvas time code the sender page draws (testkit/webrtc-sender.ts SENDER_PAGE: Date.now() as 44
 * black/white blocks across the top eighth, a grey #808080 field below), read back from any picture a
 * bench sees: decoded planes (yuv420p, nv12, gray: the Y plane) or a rendered RGBA buffer (HolovizOp's
 * render_buffer_output). Tests and benches share it; bench/seed/answerer.py reads the same code from
 * the seed's RGB array.
 */
import { lumaOf, TIME_CODE_BITS, type VideoFrame } from '../operators/messages/index.ts';

export { TIME_CODE_BITS };

export interface TimeCode {
  /** Date.now() on the sender page when it drew the picture, ms. */
  ms: number;
  /** False when a block or the grey field is neither black, white nor grey: a damaged or blended picture. */
  clean: boolean;
}

/** Luma 0-255 of one pixel: Y for planar formats, Rec.601 weights of R, G, B for rgba. */
function lumaAt(frame: VideoFrame, x: number, y: number): number {
  const p = frame.planes[0];
  if (frame.format === 'rgba') {
    const i = y * p.stride + x * 4;
    return lumaOf(p.data[i], p.data[i + 1], p.data[i + 2]);
  }
  if (frame.format === 'rgb') {
    const i = y * p.stride + x * 3;
    return lumaOf(p.data[i], p.data[i + 1], p.data[i + 2]);
  }
  return p.data[y * p.stride + x];
}

/**
 * Reads the time code. `flipY` for a bottom-up buffer (GL's readPixels origin). Planar luma is limited
 * range (black ~16, white ~235, grey ~126), rendered RGB(A) full range (0, 255, ~128); the block
 * thresholds hold for both, the grey field is checked against each range's own value.
 */
export function readTimeCodeAny(frame: VideoFrame, opts: { flipY?: boolean } = {}): TimeCode {
  const bw = Math.floor(frame.width / TIME_CODE_BITS);
  const bh = Math.floor(frame.height / 8);
  const row = (y: number) => (opts.flipY ? frame.height - 1 - y : y);
  let ms = 0;
  let clean = true;
  for (let i = 0; i < TIME_CODE_BITS; i++) {
    const v = lumaAt(frame, i * bw + (bw >> 1), row(bh >> 1));
    if (v > 60 && v < 190) clean = false;
    ms = ms * 2 + (v > 128 ? 1 : 0);
  }
  const field = lumaAt(frame, frame.width >> 1, row(frame.height >> 1));
  const rgb = frame.format === 'rgba' || frame.format === 'rgb';
  if (rgb ? Math.abs(field - 127) > 14 : Math.abs(field - 126) > 12) clean = false;
  return { ms, clean };
}

/** Wall-clock now in ms on the same scale as the page's Date.now() (sub-millisecond resolution). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
