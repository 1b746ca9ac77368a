import { LUMA_WEIGHTS } from '../../messages/index.ts';

export type ColorSpace = 'bt601' | 'bt709';
export type ColorRange = 'limited' | 'full';


/**
 * The YUV -> RGB conversion as `rgb = M * (yuv - offset)` on values scaled to 0..1, with the range
 * expansion (16-235 / 16-240 for limited) folded into M. M is column-major, ready for glUniformMatrix3fv.
 */
export function yuvToRgbMatrix(space: ColorSpace, range: ColorRange): { matrix: Float32Array; offset: [number, number, number] } {
  const { kr, kb } = LUMA_WEIGHTS[space];
  const kg = 1 - kr - kb;
  const ys = range === 'limited' ? 255 / 219 : 1;
  const cs = range === 'limited' ? 255 / 224 : 1;
  const crR = 2 * (1 - kr);
  const cbB = 2 * (1 - kb);
  const cbG = (-2 * kb * (1 - kb)) / kg;
  const crG = (-2 * kr * (1 - kr)) / kg;
  // Columns: the Y, Cb and Cr contributions to (R, G, B).
  const matrix = new Float32Array([
    ys, ys, ys,
    0, cbG * cs, cbB * cs,
    crR * cs, crG * cs, 0,
  ]);
  const offset: [number, number, number] = [range === 'limited' ? 16 / 255 : 0, 128 / 255, 128 / 255];
  return { matrix, offset };
}
