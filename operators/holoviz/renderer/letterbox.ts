/** A rectangle in pixels, origin top-left. */
export interface PixelRect { x: number; y: number; w: number; h: number }

/**
 * Where a picture of `w` x `h` goes inside a target of `fw` x `fh`, keeping its aspect: as large as
 * fits, centred, with bars on the two sides that are left over (letterbox or pillarbox). The window
 * blit and the renderer's content area both use it, so both agree to the pixel.
 */
export function letterbox(w: number, h: number, fw: number, fh: number): PixelRect {
  if (!(w > 0 && h > 0)) return { x: 0, y: 0, w: fw, h: fh };
  const scale = Math.min(fw / w, fh / h);
  const dw = Math.min(fw, Math.max(1, Math.round(w * scale)));
  const dh = Math.min(fh, Math.max(1, Math.round(h * scale)));
  return { x: Math.floor((fw - dw) / 2), y: Math.floor((fh - dh) / 2), w: dw, h: dh };
}
