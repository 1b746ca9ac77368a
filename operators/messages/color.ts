import type { z } from 'zod';
import type { ColorSpace } from './video-frame.ts';

/**
 * The luma weights of red and blue per colour space (ITU-R BT.601 and BT.709); green's is 1 - kr - kb.
 * Every YUV/RGB conversion and luma measurement in holots (the renderer's matrix, the CPU converter, the
 * test pattern, apps and tests) takes them from here.
 */
export const LUMA_WEIGHTS: Record<z.infer<typeof ColorSpace>, { kr: number; kb: number }> = {
  bt601: { kr: 0.299, kb: 0.114 },
  bt709: { kr: 0.2126, kb: 0.0722 },
};

/** Luma (same scale as the inputs) of an R, G, B triple; BT.601 unless told. */
export function lumaOf(r: number, g: number, b: number, space: z.infer<typeof ColorSpace> = 'bt601'): number {
  const { kr, kb } = LUMA_WEIGHTS[space];
  return kr * r + (1 - kr - kb) * g + kb * b;
}
