import type { VideoFrame } from '../../messages/index.ts';
import type { GL } from '../gl/gl-functions.ts';
import {
  GL_CLAMP_TO_EDGE, GL_LINEAR, GL_R8, GL_RED, GL_RG, GL_RG8, GL_RGB, GL_RGB8, GL_RGBA, GL_RGBA8, GL_TEXTURE_2D,
  GL_TEXTURE_MAG_FILTER, GL_TEXTURE_MIN_FILTER, GL_TEXTURE_WRAP_S, GL_TEXTURE_WRAP_T, GL_UNPACK_ALIGNMENT,
  GL_UNPACK_ROW_LENGTH, GL_UNSIGNED_BYTE,
} from '../gl/gl-constants.ts';

interface PlaneFormat { internal: number; format: number; bpp: number; sub: 1 | 2 }

/** How each pixel format's planes become textures; chroma planes are half size in both directions. */
const PLANES: Record<VideoFrame['format'], PlaneFormat[]> = {
  rgba: [{ internal: GL_RGBA8, format: GL_RGBA, bpp: 4, sub: 1 }],
  rgb: [{ internal: GL_RGB8, format: GL_RGB, bpp: 3, sub: 1 }],
  gray: [{ internal: GL_R8, format: GL_RED, bpp: 1, sub: 1 }],
  yuv420p: [
    { internal: GL_R8, format: GL_RED, bpp: 1, sub: 1 },
    { internal: GL_R8, format: GL_RED, bpp: 1, sub: 2 },
    { internal: GL_R8, format: GL_RED, bpp: 1, sub: 2 },
  ],
  nv12: [{ internal: GL_R8, format: GL_RED, bpp: 1, sub: 1 }, { internal: GL_RG8, format: GL_RG, bpp: 2, sub: 2 }],
};

/**
 * The textures of one image layer. They are kept across frames: same size and format means
 * glTexSubImage2D into the existing storage; a stride is passed as GL_UNPACK_ROW_LENGTH, never copied.
 */
export class ImageTextures {
  readonly ids = new Uint32Array(3);
  private readonly widths = new Int32Array(3);
  private readonly heights = new Int32Array(3);
  private readonly internals = new Int32Array(3);
  format: VideoFrame['format'] | null = null;

  constructor(private readonly gl: GL) {
    gl.glGenTextures(3, this.ids);
    for (let i = 0; i < 3; i++) {
      gl.glBindTexture(GL_TEXTURE_2D, this.ids[i]);
      gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
      gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
      gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
      gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    }
  }

  upload(frame: VideoFrame): void {
    const gl = this.gl;
    const layout = PLANES[frame.format];
    if (!layout) throw new Error(`unsupported pixel format '${frame.format}'`);
    if (frame.planes.length < layout.length) throw new Error(`a ${frame.format} frame needs ${layout.length} planes, got ${frame.planes.length}`);
    gl.glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    for (let i = 0; i < layout.length; i++) {
      const p = layout[i];
      const plane = frame.planes[i];
      const w = p.sub === 1 ? frame.width : (frame.width + 1) >> 1;
      const h = p.sub === 1 ? frame.height : (frame.height + 1) >> 1;
      if (plane.stride % p.bpp !== 0) throw new Error(`${frame.format} plane ${i}: stride ${plane.stride} is not a multiple of ${p.bpp} bytes per pixel`);
      if (plane.stride < w * p.bpp) throw new Error(`${frame.format} plane ${i}: stride ${plane.stride} is less than a row of ${w * p.bpp} bytes`);
      // GL reads (h-1) strides plus one row: a shorter buffer would make it read past the end.
      const needed = plane.stride * (h - 1) + w * p.bpp;
      if (plane.data.byteLength < needed) throw new Error(`${frame.format} plane ${i}: ${plane.data.byteLength} bytes, ${w}x${h} at stride ${plane.stride} needs ${needed}`);
      gl.glPixelStorei(GL_UNPACK_ROW_LENGTH, plane.stride / p.bpp);
      gl.glBindTexture(GL_TEXTURE_2D, this.ids[i]);
      if (this.widths[i] === w && this.heights[i] === h && this.internals[i] === p.internal) {
        gl.glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, p.format, GL_UNSIGNED_BYTE, plane.data);
      } else {
        gl.glTexImage2D(GL_TEXTURE_2D, 0, p.internal, w, h, 0, p.format, GL_UNSIGNED_BYTE, plane.data);
        this.widths[i] = w;
        this.heights[i] = h;
        this.internals[i] = p.internal;
      }
    }
    gl.glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    this.format = frame.format;
  }

  destroy(): void {
    this.gl.glDeleteTextures(3, this.ids);
  }
}
