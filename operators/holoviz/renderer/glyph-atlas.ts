import { readFileSync } from 'node:fs';
import opentype, { type Font, type Glyph } from 'opentype.js';
import type { GL } from '../gl/gl-functions.ts';
import {
  GL_CLAMP_TO_EDGE, GL_LINEAR, GL_R8, GL_RED, GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_TEXTURE_MIN_FILTER,
  GL_TEXTURE_WRAP_S, GL_TEXTURE_WRAP_T, GL_UNPACK_ALIGNMENT, GL_UNPACK_ROW_LENGTH, GL_UNSIGNED_BYTE,
} from '../gl/gl-constants.ts';
import { rasterizeOutline } from './glyph-rasterizer.ts';
import type { VertexSink } from './vertex-sink.ts';

export const DEFAULT_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

const ATLAS_SIZE = 1024;
/** Glyphs are rasterized once at this em size and scaled when drawn. */
const ATLAS_EM = 48;

interface AtlasGlyph { u0: number; v0: number; u1: number; v1: number; left: number; top: number; w: number; h: number }

/**
 * Glyphs of a real font (opentype.js parses it and gives the outlines), rasterized on first use into
 * one single-channel texture, packed in shelves.
 */
export class GlyphAtlas {
  readonly texture: number;
  private readonly font: Font;
  private readonly glyphs = new Map<number, AtlasGlyph | null>();
  private shelfX = 0;
  private shelfY = 0;
  private shelfH = 0;
  private readonly unitsToAtlas: number;

  constructor(private readonly gl: GL, fontPath = DEFAULT_FONT) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(fontPath);
    } catch (err) {
      throw new Error(`cannot read the font ${fontPath} (${(err as Error).message}); install fonts-dejavu-core or set another font`);
    }
    this.font = opentype.parse(new Uint8Array(bytes).buffer);
    this.unitsToAtlas = ATLAS_EM / this.font.unitsPerEm;
    const ids = new Uint32Array(1);
    gl.glGenTextures(1, ids);
    this.texture = ids[0];
    gl.glBindTexture(GL_TEXTURE_2D, this.texture);
    gl.glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, ATLAS_SIZE, ATLAS_SIZE, 0, GL_RED, GL_UNSIGNED_BYTE, new Uint8Array(ATLAS_SIZE * ATLAS_SIZE));
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
  }

  /**
   * Appends quads for `text` with its box's top-left at (x, y) and `size` pixels from the ascender
   * to the descender line, so the text fits the box [y, y + size].
   */
  layout = (sink: VertexSink, text: string, x: number, y: number, size: number): void => {
    const font = this.font;
    const unitsToPx = size / (font.ascender - font.descender);
    const scale = unitsToPx / this.unitsToAtlas; // atlas pixels -> target pixels
    const baseline = y + font.ascender * unitsToPx;
    let pen = x;
    let prev: Glyph | null = null;
    for (const g of this.glyphsOf(text)) {
      if (prev) pen += font.getKerningValue(prev, g) * unitsToPx;
      const a = this.glyph(g);
      if (a) {
        const x0 = pen + a.left * scale, y0 = baseline + a.top * scale;
        const x1 = x0 + a.w * scale, y1 = y0 + a.h * scale;
        sink.push(x0, y0, a.u0, a.v0); sink.push(x1, y0, a.u1, a.v0); sink.push(x1, y1, a.u1, a.v1);
        sink.push(x0, y0, a.u0, a.v0); sink.push(x1, y1, a.u1, a.v1); sink.push(x0, y1, a.u0, a.v1);
      }
      pen += (g.advanceWidth ?? 0) * unitsToPx;
      prev = g;
    }
  };

  /** Width in pixels of `text` drawn `size` pixels high (for tests and layout). */
  measure(text: string, size: number): number {
    const font = this.font;
    const unitsToPx = size / (font.ascender - font.descender);
    let w = 0;
    let prev: Glyph | null = null;
    for (const g of this.glyphsOf(text)) {
      if (prev) w += font.getKerningValue(prev, g) * unitsToPx;
      w += (g.advanceWidth ?? 0) * unitsToPx;
      prev = g;
    }
    return w;
  }

  /**
   * One glyph per code point. opentype.js's stringToGlyphs applies GSUB features and throws on
   * DejaVu's chained substitutions ("substFormat 2 is not yet supported"); labels need no shaping.
   */
  private glyphsOf(text: string): Glyph[] {
    const out: Glyph[] = [];
    for (const ch of text) out.push(this.font.charToGlyph(ch));
    return out;
  }

  private glyph(g: Glyph): AtlasGlyph | null {
    const known = this.glyphs.get(g.index);
    if (known !== undefined) return known;
    const bmp = rasterizeOutline(g.getPath(0, 0, ATLAS_EM).commands);
    let entry: AtlasGlyph | null = null;
    if (bmp.width > 0 && bmp.height > 0) {
      if (this.shelfX + bmp.width > ATLAS_SIZE) { this.shelfY += this.shelfH + 1; this.shelfX = 0; this.shelfH = 0; }
      if (this.shelfY + bmp.height <= ATLAS_SIZE && bmp.width <= ATLAS_SIZE) {
        const gl = this.gl;
        gl.glBindTexture(GL_TEXTURE_2D, this.texture);
        gl.glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
        gl.glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
        gl.glTexSubImage2D(GL_TEXTURE_2D, 0, this.shelfX, this.shelfY, bmp.width, bmp.height, GL_RED, GL_UNSIGNED_BYTE, bmp.data);
        entry = {
          u0: this.shelfX / ATLAS_SIZE, v0: this.shelfY / ATLAS_SIZE,
          u1: (this.shelfX + bmp.width) / ATLAS_SIZE, v1: (this.shelfY + bmp.height) / ATLAS_SIZE,
          left: bmp.left, top: bmp.top, w: bmp.width, h: bmp.height,
        };
        this.shelfX += bmp.width + 1;
        this.shelfH = Math.max(this.shelfH, bmp.height);
      }
      // A full atlas drops further new glyphs rather than failing the frame; 1024² holds hundreds at 48 px.
    }
    this.glyphs.set(g.index, entry);
    return entry;
  }

  destroy(): void {
    this.gl.glDeleteTextures(1, new Uint32Array([this.texture]));
  }
}
