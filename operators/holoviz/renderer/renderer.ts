import type { VideoFrame } from '../../messages/index.ts';
import type { GL } from '../gl/gl-functions.ts';
import {
  GL_ARRAY_BUFFER, GL_BLEND, GL_COLOR_ATTACHMENT0, GL_COLOR_BUFFER_BIT, GL_DYNAMIC_DRAW, GL_FLOAT, GL_FRAMEBUFFER,
  GL_FRAMEBUFFER_COMPLETE, GL_ONE, GL_ONE_MINUS_SRC_ALPHA, GL_PACK_ALIGNMENT, GL_POINTS, GL_PROGRAM_POINT_SIZE,
  GL_RGBA, GL_RGBA8, GL_SRC_ALPHA, GL_TEXTURE0, GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_TEXTURE_MIN_FILTER, GL_TRIANGLES,
  GL_TRIANGLE_STRIP, GL_UNSIGNED_BYTE, GL_READ_FRAMEBUFFER, GL_NEAREST,
} from '../gl/gl-constants.ts';
import type { GeometryMessage, GeometryType, LayerSpec, LayerType } from '../layers.ts';
import { buildGeometry } from './geometry-builder.ts';
import { GlyphAtlas } from './glyph-atlas.ts';
import { ImageTextures } from './image-textures.ts';
import { letterbox, type PixelRect } from './letterbox.ts';
import { createProgram } from './program.ts';
import { GEOMETRY_FRAGMENT, GEOMETRY_MODE, GEOMETRY_VERTEX, IMAGE_FORMAT_IDS, IMAGE_VERTEX, imageFragment } from './shaders.ts';
import { VertexSink } from './vertex-sink.ts';
import { yuvToRgbMatrix, type ColorRange, type ColorSpace } from './yuv-matrix.ts';

export interface LayerStyle {
  opacity: number;
  priority: number;
  color: [number, number, number, number];
  lineWidth: number;
  pointSize: number;
}

interface LayerBase { name: string; order: number; style: LayerStyle }
interface ImageLayer extends LayerBase { type: 'color'; textures: ImageTextures | null; frame: VideoFrame | null; uploaded: boolean }
interface GeometryLayer extends LayerBase {
  type: GeometryType;
  data: readonly (readonly number[])[];
  text: readonly string[];
  sink: VertexSink;
  vbo: number;
  vboBytes: number;
  primitive: 'points' | 'triangles';
  dirty: boolean;
}
type Layer = ImageLayer | GeometryLayer;

interface ImageProgram { program: number; opacity: number; matrix: number; offset: number }

export const DEFAULT_STYLE: LayerStyle = { opacity: 1, priority: 0, color: [1, 1, 1, 1], lineWidth: 1, pointSize: 1 };

export function styleOf(spec: Pick<LayerSpec, 'opacity' | 'priority' | 'color' | 'line_width' | 'point_size'>): LayerStyle {
  return { opacity: spec.opacity, priority: spec.priority, color: [...spec.color], lineWidth: spec.line_width, pointSize: spec.point_size };
}

/**
 * Draws image and geometry layers into its own framebuffer object (RGBA8, `width` x `height`, first
 * row = top of the picture). All layers share one content area, letterboxed to the first image
 * layer's aspect with black bars, so a 4:3 camera in a 16:9 target is not stretched and geometry in
 * normalized coordinates stays on the picture. It knows nothing of windows: a context provider shows
 * the FBO. Every method must be called with the GL context current, on the thread that owns it.
 */
export class Renderer {
  framebuffer = 0;
  private colorTexture = 0;
  private readonly layers = new Map<string, Layer>();
  private drawOrder: Layer[] = [];
  private orderDirty = false;
  private nextOrder = 0;
  private readonly imagePrograms = new Map<string, ImageProgram>();
  private readonly geometryProgram: number;
  private readonly geo: { size: number; pointSize: number; color: number; mode: number; atlas: number };
  private readonly vaos = new Uint32Array(2); // [0]: image quads (no attributes), [1]: geometry
  private atlas: GlyphAtlas | null = null;
  private readonly matrices = new Map<string, ReturnType<typeof yuvToRgbMatrix>>();
  private readonly scratch = new Uint32Array(1);
  /** Where the layers are drawn in the target; geometry was built for this size. */
  private content: PixelRect;

  constructor(readonly gl: GL, public width: number, public height: number, private readonly fontPath?: string) {
    this.content = { x: 0, y: 0, w: width, h: height };
    this.createFramebuffer();
    gl.glGenVertexArrays(2, this.vaos);
    this.geometryProgram = createProgram(gl, 'holoviz geometry', GEOMETRY_VERTEX, GEOMETRY_FRAGMENT);
    const p = this.geometryProgram;
    this.geo = {
      size: gl.glGetUniformLocation(p, 'u_size'), pointSize: gl.glGetUniformLocation(p, 'u_point_size'),
      color: gl.glGetUniformLocation(p, 'u_color'), mode: gl.glGetUniformLocation(p, 'u_mode'), atlas: gl.glGetUniformLocation(p, 'u_atlas'),
    };
    for (const space of ['bt601', 'bt709'] as const) for (const range of ['limited', 'full'] as const) this.matrices.set(`${space}/${range}`, yuvToRgbMatrix(space, range));
  }

  private createFramebuffer(): void {
    const gl = this.gl;
    const ids = this.scratch;
    gl.glGenTextures(1, ids);
    this.colorTexture = ids[0];
    gl.glBindTexture(GL_TEXTURE_2D, this.colorTexture);
    gl.glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, this.width, this.height, 0, GL_RGBA, GL_UNSIGNED_BYTE, null);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    gl.glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    gl.glGenFramebuffers(1, ids);
    this.framebuffer = ids[0];
    gl.glBindFramebuffer(GL_FRAMEBUFFER, this.framebuffer);
    gl.glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, this.colorTexture, 0);
    const status = gl.glCheckFramebufferStatus(GL_FRAMEBUFFER);
    if (status !== GL_FRAMEBUFFER_COMPLETE) throw new Error(`the render framebuffer is incomplete (0x${status.toString(16)})`);
  }

  /** Changes the render size (the FBO); geometry is rebuilt for the new pixel grid. */
  resize(width: number, height: number): void {
    if (width === this.width && height === this.height) return;
    this.deleteFramebuffer();
    this.width = width;
    this.height = height;
    this.createFramebuffer();
  }

  /** The area the layers are drawn in (pixels, top-left origin): the first image layer's aspect, letterboxed into the target. */
  contentArea(): PixelRect {
    const first = this.firstImageLayer();
    const frame = first ? (this.layers.get(first) as ImageLayer).frame : null;
    return frame ? letterbox(frame.width, frame.height, this.width, this.height) : { x: 0, y: 0, w: this.width, h: this.height };
  }

  /** Declares a layer (from HolovizOp's `tensors`): its type, style and optional static geometry. */
  defineLayer(spec: LayerSpec): void {
    if (this.layers.has(spec.name)) throw new Error(`layer '${spec.name}' is defined twice`);
    this.addLayer(spec.name, spec.type, styleOf(spec), spec.data ?? [], spec.text);
  }

  hasLayer(name: string): boolean { return this.layers.has(name); }

  layerType(name: string): LayerType | undefined { return this.layers.get(name)?.type; }

  /** The first image layer in definition order: where a bare VideoFrame goes. */
  firstImageLayer(): string | null {
    let best: Layer | null = null;
    for (const l of this.layers.values()) if (l.type === 'color' && (!best || l.order < best.order)) best = l;
    return best?.name ?? null;
  }

  private addLayer(name: string, type: LayerType, style: LayerStyle, data: readonly (readonly number[])[], text: readonly string[]): Layer {
    let layer: Layer;
    if (type === 'color') {
      layer = { name, type, order: this.nextOrder++, style, textures: null, frame: null, uploaded: false };
    } else {
      this.gl.glGenBuffers(1, this.scratch);
      layer = { name, type, order: this.nextOrder++, style, data, text, sink: new VertexSink(), vbo: this.scratch[0], vboBytes: 0, primitive: 'triangles', dirty: true };
    }
    this.layers.set(name, layer);
    this.orderDirty = true;
    return layer;
  }

  /**
   * Sets the frame an image layer shows (created on first use). The upload happens at the next
   * render, so of several frames set between two renders only the newest costs anything.
   */
  setImage(name: string, frame: VideoFrame): void {
    let layer = this.layers.get(name);
    if (!layer) layer = this.addLayer(name, 'color', { ...DEFAULT_STYLE }, [], []);
    if (layer.type !== 'color') throw new Error(`layer '${name}' is a ${layer.type} layer, not an image (color) layer`);
    layer.frame = frame;
    layer.uploaded = false;
  }

  /** Replaces a geometry layer's coordinates (and style fields the message carries). */
  setGeometry(msg: GeometryMessage): void {
    let layer = this.layers.get(msg.layer);
    if (!layer) {
      if (!msg.type) throw new Error(`geometry for unknown layer '${msg.layer}' needs a type`);
      layer = this.addLayer(msg.layer, msg.type, { ...DEFAULT_STYLE, color: [...DEFAULT_STYLE.color] }, msg.data, msg.text ?? []);
    }
    if (layer.type === 'color') throw new Error(`layer '${msg.layer}' is an image layer; geometry needs a geometry layer`);
    if (msg.type && msg.type !== layer.type) throw new Error(`layer '${msg.layer}' is ${layer.type}, the message says ${msg.type}`);
    layer.data = msg.data;
    if (msg.text) layer.text = msg.text;
    const s = layer.style;
    if (msg.color) s.color = [msg.color[0], msg.color[1], msg.color[2], msg.color[3]];
    if (msg.opacity !== undefined) s.opacity = msg.opacity;
    if (msg.line_width !== undefined) s.lineWidth = msg.line_width;
    if (msg.point_size !== undefined) s.pointSize = msg.point_size;
    if (msg.priority !== undefined && msg.priority !== s.priority) { s.priority = msg.priority; this.orderDirty = true; }
    layer.dirty = true;
  }

  /** Draws every layer, lowest priority first, into the framebuffer object. */
  render(): void {
    const gl = this.gl;
    if (this.orderDirty) {
      this.drawOrder = [...this.layers.values()].sort((a, b) => a.style.priority - b.style.priority || a.order - b.order);
      this.orderDirty = false;
    }
    const area = this.contentArea();
    if (area.w !== this.content.w || area.h !== this.content.h) {
      for (const l of this.layers.values()) if (l.type !== 'color') l.dirty = true; // geometry is laid out in content pixels
    }
    this.content = area;
    const full = area.w === this.width && area.h === this.height;
    gl.glBindFramebuffer(GL_FRAMEBUFFER, this.framebuffer);
    // The FBO's first row is the top of the picture, so a top-left y is GL's y as it is.
    gl.glViewport(area.x, area.y, area.w, area.h);
    // An opaque picture at the bottom covering every pixel makes clearing first a wasted full pass; bars need the clear.
    const bottom = this.drawOrder[0];
    if (!(full && bottom && bottom.type === 'color' && bottom.frame && bottom.frame.format !== 'rgba' && bottom.style.opacity >= 1)) {
      gl.glClearColor(0, 0, 0, 1);
      gl.glClear(GL_COLOR_BUFFER_BIT);
    }
    gl.glEnable(GL_BLEND);
    // Color blends by alpha; the target's alpha accumulates coverage so the read-back stays opaque.
    gl.glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE, GL_ONE_MINUS_SRC_ALPHA);
    gl.glEnable(GL_PROGRAM_POINT_SIZE);
    for (const layer of this.drawOrder) {
      if (layer.style.opacity <= 0) continue;
      if (layer.type === 'color') this.drawImage(layer);
      else this.drawGeometry(layer);
    }
  }

  private drawImage(layer: ImageLayer): void {
    const frame = layer.frame;
    if (!frame) return;
    const gl = this.gl;
    if (!layer.textures) layer.textures = new ImageTextures(gl);
    if (!layer.uploaded) {
      try {
        layer.textures.upload(frame);
      } catch (err) {
        layer.frame = null;
        throw new Error(`layer '${layer.name}': ${(err as Error).message}`);
      }
      layer.uploaded = true;
    }
    // texelFetch at gl_FragCoord only holds when the content area is the whole target, at the frame's size.
    const direct = frame.width === this.width && frame.height === this.height && this.content.w === this.width && this.content.h === this.height;
    const prog = this.imageProgram(frame.format, direct);
    gl.glUseProgram(prog.program);
    // An opaque picture over whatever is below needs no blending (saves reading the target back).
    const opaque = layer.style.opacity >= 1 && frame.format !== 'rgba';
    if (opaque) gl.glDisable(GL_BLEND);
    gl.glUniform1f(prog.opacity, layer.style.opacity);
    if (frame.format === 'yuv420p' || frame.format === 'nv12') {
      const m = this.matrices.get(`${frame.colorSpace ?? 'bt601'}/${frame.colorRange ?? 'limited'}`)!;
      gl.glUniformMatrix3fv(prog.matrix, 1, 0, m.matrix);
      gl.glUniform3f(prog.offset, m.offset[0], m.offset[1], m.offset[2]);
    }
    for (let i = 0; i < 3; i++) {
      gl.glActiveTexture(GL_TEXTURE0 + i);
      gl.glBindTexture(GL_TEXTURE_2D, layer.textures.ids[i]);
    }
    gl.glActiveTexture(GL_TEXTURE0);
    gl.glBindVertexArray(this.vaos[0]);
    gl.glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    if (opaque) gl.glEnable(GL_BLEND);
  }

  private imageProgram(format: VideoFrame['format'], direct: boolean): ImageProgram {
    const key = `${format}/${direct}`;
    let p = this.imagePrograms.get(key);
    if (p) return p;
    if (!(format in IMAGE_FORMAT_IDS)) throw new Error(`unsupported pixel format '${format}'`);
    const gl = this.gl;
    const program = createProgram(gl, `holoviz image (${format})`, IMAGE_VERTEX, imageFragment(format, direct));
    gl.glUseProgram(program);
    for (let i = 0; i < 3; i++) gl.glUniform1i(gl.glGetUniformLocation(program, `u_plane${i}`), i);
    p = {
      program,
      opacity: gl.glGetUniformLocation(program, 'u_opacity'),
      matrix: gl.glGetUniformLocation(program, 'u_yuv_matrix'),
      offset: gl.glGetUniformLocation(program, 'u_yuv_offset'),
    };
    this.imagePrograms.set(key, p);
    return p;
  }

  private drawGeometry(layer: GeometryLayer): void {
    const gl = this.gl;
    if (layer.dirty) {
      if (layer.type === 'text' && !this.atlas) this.atlas = new GlyphAtlas(gl, this.fontPath);
      const layout = this.atlas?.layout ?? (() => {});
      layer.primitive = buildGeometry(layer.sink, layer.type, layer.data, layer.text, this.content.w, this.content.h, layer.style, layout);
      gl.glBindBuffer(GL_ARRAY_BUFFER, layer.vbo);
      const bytes = layer.sink.count * 16;
      const view = layer.sink.data.subarray(0, layer.sink.count * 4);
      if (bytes > layer.vboBytes) {
        gl.glBufferData(GL_ARRAY_BUFFER, layer.sink.data.byteLength, layer.sink.data, GL_DYNAMIC_DRAW);
        layer.vboBytes = layer.sink.data.byteLength;
      } else if (bytes > 0) {
        gl.glBufferSubData(GL_ARRAY_BUFFER, 0, bytes, view);
      }
      layer.dirty = false;
    }
    const count = layer.sink.count;
    if (count === 0) return;
    const s = layer.style;
    gl.glUseProgram(this.geometryProgram);
    gl.glUniform2f(this.geo.size, this.content.w, this.content.h);
    gl.glUniform1f(this.geo.pointSize, s.pointSize);
    gl.glUniform4f(this.geo.color, s.color[0], s.color[1], s.color[2], s.color[3] * s.opacity);
    const mode = layer.primitive === 'points' ? GEOMETRY_MODE.point : layer.type === 'text' ? GEOMETRY_MODE.text : GEOMETRY_MODE.solid;
    gl.glUniform1i(this.geo.mode, mode);
    if (mode === GEOMETRY_MODE.text && this.atlas) {
      gl.glActiveTexture(GL_TEXTURE0);
      gl.glBindTexture(GL_TEXTURE_2D, this.atlas.texture);
      gl.glUniform1i(this.geo.atlas, 0);
    }
    gl.glBindVertexArray(this.vaos[1]);
    gl.glBindBuffer(GL_ARRAY_BUFFER, layer.vbo);
    gl.glEnableVertexAttribArray(0);
    gl.glVertexAttribPointer(0, 4, GL_FLOAT, 0, 16, 0);
    gl.glDrawArrays(layer.primitive === 'points' ? GL_POINTS : GL_TRIANGLES, 0, count);
  }

  /** Reads the rendered picture, RGBA, top row first, into `out` (width * height * 4 bytes). */
  readPixels(out: Uint8Array): Uint8Array {
    const need = this.width * this.height * 4;
    if (out.byteLength < need) throw new Error(`readPixels needs ${need} bytes, got ${out.byteLength}`);
    const gl = this.gl;
    gl.glBindFramebuffer(GL_READ_FRAMEBUFFER, this.framebuffer);
    gl.glPixelStorei(GL_PACK_ALIGNMENT, 1);
    gl.glReadPixels(0, 0, this.width, this.height, GL_RGBA, GL_UNSIGNED_BYTE, out);
    return out;
  }

  /** Width in pixels of a text drawn `size` pixels high, from the same font the text layers use. */
  measureText(text: string, size: number): number {
    if (!this.atlas) this.atlas = new GlyphAtlas(this.gl, this.fontPath);
    return this.atlas.measure(text, size);
  }

  private deleteFramebuffer(): void {
    const gl = this.gl;
    gl.glDeleteFramebuffers(1, new Uint32Array([this.framebuffer]));
    gl.glDeleteTextures(1, new Uint32Array([this.colorTexture]));
  }

  destroy(): void {
    const gl = this.gl;
    for (const l of this.layers.values()) {
      if (l.type === 'color') l.textures?.destroy();
      else gl.glDeleteBuffers(1, new Uint32Array([l.vbo]));
    }
    this.layers.clear();
    this.drawOrder = [];
    for (const p of this.imagePrograms.values()) gl.glDeleteProgram(p.program);
    gl.glDeleteProgram(this.geometryProgram);
    gl.glDeleteVertexArrays(2, this.vaos);
    this.atlas?.destroy();
    this.deleteFramebuffer();
  }
}

