import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EglHeadlessProvider } from '../../operators/holoviz/context/egl-headless.ts';
import { createContextProvider } from '../../operators/holoviz/context/choose-provider.ts';
import { LayerSpec, type LayerSpecInput } from '../../operators/holoviz/layers.ts';
import { Renderer } from '../../operators/holoviz/renderer/renderer.ts';
import { allocateFrame, type VideoFrame } from '../../operators/messages/index.ts';
import { near, px, withoutDisplay } from './helpers.ts';

const W = 128;
const H = 96;

withoutDisplay();

/** The BT.601 limited-range formula, written out independently of the shader's matrix. */
function bt601(y: number, u: number, v: number): [number, number, number] {
  const c = 1.164383 * (y - 16);
  const d = u - 128;
  const e = v - 128;
  const cl = (x: number) => Math.max(0, Math.min(255, x));
  return [cl(c + 1.596027 * e), cl(c - 0.391762 * d - 0.812968 * e), cl(c + 2.017232 * d)];
}

describe('Renderer, headless EGL (no X server)', () => {
  let provider: EglHeadlessProvider;
  let r: Renderer;
  const out = new Uint8Array(W * H * 4);
  const read = () => { r.render(); return r.readPixels(out); };
  let n = 0;
  const layer = (spec: Omit<LayerSpecInput, 'name'>) => {
    const name = `l${n++}`;
    r.defineLayer(LayerSpec.parse({ name, ...spec }));
    return name;
  };

  before(() => {
    assert.equal(process.env.DISPLAY, undefined);
    provider = new EglHeadlessProvider();
  });
  after(() => { provider?.destroy(); });

  const fresh = () => { r?.destroy(); r = new Renderer(provider.gl, W, H); };

  it('auto picks headless when there is no display, and says so', () => {
    const logs: string[] = [];
    const p = createContextProvider({ headless: 'auto', title: 't', width: 8, height: 8, log: (m) => logs.push(m), env: {} });
    try {
      assert.match(p.kind, /^egl-/);
      assert.match(logs.join('\n'), /no display.*headless/);
    } finally {
      p.destroy();
      provider.makeCurrent();
    }
  });

  it('reads a solid rgba frame back exactly, with a padded stride', () => {
    fresh();
    const stride = W * 4 + 36;
    const data = new Uint8Array(stride * H).fill(99); // padding bytes that must not show
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set([10, 200, 30, 255], y * stride + x * 4);
    r.setImage('video', { width: W, height: H, format: 'rgba', planes: [{ data, stride }], timestamp: 0 });
    read();
    for (let i = 0; i < out.length; i += 4) assert.deepEqual([out[i], out[i + 1], out[i + 2], out[i + 3]], [10, 200, 30, 255], `pixel ${i / 4}`);
  });

  it('reuses the texture for a same-size frame and reallocates on a new size', () => {
    const f = allocateFrame('rgba', W, H);
    f.planes[0].data.fill(255);
    r.setImage('video', f);
    assert.deepEqual(px(read(), W, 5, 5), [255, 255, 255, 255]);
    const small = allocateFrame('rgba', 16, 12);
    for (let i = 0; i < small.planes[0].data.length; i += 4) small.planes[0].data.set([0, 0, 255, 255], i);
    r.setImage('video', small);
    assert.deepEqual(px(read(), W, 64, 48), [0, 0, 255, 255]);
  });

  it('converts yuv420p with BT.601 limited range within 2 levels', () => {
    fresh();
    // 4x3 blocks of 32x32 pixels, each with its own Y, U, V; sampled at block centres.
    const f = allocateFrame('yuv420p', W, H);
    const blocks: [number, number, number][] = [];
    for (let by = 0; by < 3; by++) for (let bx = 0; bx < 4; bx++) {
      const yuv: [number, number, number] = [16 + ((bx * 53 + by * 71) % 220), 16 + ((bx * 37 + by * 89) % 225), 16 + ((bx * 97 + by * 41) % 225)];
      blocks.push(yuv);
      for (let y = by * 32; y < by * 32 + 32; y++) f.planes[0].data.fill(yuv[0], y * W + bx * 32, y * W + bx * 32 + 32);
      for (let y = by * 16; y < by * 16 + 16; y++) {
        f.planes[1].data.fill(yuv[1], y * (W / 2) + bx * 16, y * (W / 2) + bx * 16 + 16);
        f.planes[2].data.fill(yuv[2], y * (W / 2) + bx * 16, y * (W / 2) + bx * 16 + 16);
      }
    }
    r.setImage('video', f);
    read();
    blocks.forEach(([y, u, v], i) => {
      const got = px(out, W, (i % 4) * 32 + 16, Math.floor(i / 4) * 32 + 16).slice(0, 3);
      const want = bt601(y, u, v);
      assert.ok(near(got, want, 2), `block ${i} yuv(${y},${u},${v}): got ${got}, BT.601 gives ${want.map((x) => x.toFixed(1))}`);
    });
  });

  const solidYuv = (format: 'yuv420p' | 'nv12', y: number, u: number, v: number, extra: Partial<VideoFrame> = {}): VideoFrame => {
    const f = allocateFrame(format, W, H);
    f.planes[0].data.fill(y);
    if (format === 'yuv420p') { f.planes[1].data.fill(u); f.planes[2].data.fill(v); }
    else for (let i = 0; i < f.planes[1].data.length; i += 2) { f.planes[1].data[i] = u; f.planes[1].data[i + 1] = v; }
    return { ...f, ...extra };
  };

  it('converts nv12, and honours the frame colour space and range (BT.709 full)', () => {
    r.setImage('video', solidYuv('nv12', 120, 90, 200));
    assert.ok(near(px(read(), W, 60, 40).slice(0, 3), bt601(120, 90, 200), 2));
    r.setImage('video', solidYuv('yuv420p', 120, 90, 200, { colorSpace: 'bt709', colorRange: 'full' }));
    const [Y, Cb, Cr] = [120, 90 - 128, 200 - 128];
    const want = [Y + 1.5748 * Cr, Y - 0.1873 * Cb - 0.4681 * Cr, Y + 1.8556 * Cb].map((x) => Math.max(0, Math.min(255, x)));
    assert.ok(near(px(read(), W, 60, 40).slice(0, 3), want, 2), `got ${px(out, W, 60, 40)}, want ${want}`);
  });

  it('shows rgb and gray frames', () => {
    const rgb = allocateFrame('rgb', W, H);
    for (let i = 0; i < rgb.planes[0].data.length; i += 3) rgb.planes[0].data.set([1, 2, 250], i);
    r.setImage('video', rgb);
    assert.deepEqual(px(read(), W, 7, 9), [1, 2, 250, 255]);
    const gray = allocateFrame('gray', W, H);
    gray.planes[0].data.fill(77);
    r.setImage('video', gray);
    assert.deepEqual(px(read(), W, 7, 9), [77, 77, 77, 255]);
  });

  it('rejects a plane too short for its size and stride, naming the layer', () => {
    const bad = allocateFrame('yuv420p', W, H);
    bad.planes[2] = { data: new Uint8Array(10), stride: W / 2 };
    r.setImage('video', bad);
    assert.throws(() => r.render(), /layer 'video': yuv420p plane 2: 10 bytes/);
  });

  const RED = [255, 0, 0, 255];
  const BLACK = [0, 0, 0, 255];
  const isRed = (x: number, y: number) => near(px(out, W, x, y), RED, 8);
  const isBlack = (x: number, y: number) => near(px(out, W, x, y), BLACK, 8);

  it('draws each geometry type where its coordinates say (origin top-left)', () => {
    const check = (spec: Omit<LayerSpecInput, 'name'>, on: [number, number][], off: [number, number][]) => {
      fresh();
      layer({ color: [1, 0, 0, 1], ...spec });
      read();
      for (const [x, y] of on) assert.ok(isRed(x, y), `${spec.type}: (${x},${y}) should be drawn, is ${px(out, W, x, y)}`);
      for (const [x, y] of off) assert.ok(isBlack(x, y), `${spec.type}: (${x},${y}) should be empty, is ${px(out, W, x, y)}`);
    };
    check({ type: 'points', point_size: 8, data: [[0.25, 0.25], [0.75, 0.5]] }, [[32, 24], [96, 48], [34, 26]], [[32, 34], [64, 48], [96, 24]]);
    check({ type: 'lines', line_width: 3, data: [[0.125, 0.5], [0.875, 0.5]] }, [[20, 48], [64, 48], [108, 48]], [[64, 44], [64, 52], [4, 48], [124, 48]]);
    check({ type: 'line_strip', line_width: 3, data: [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75]] }, [[48, 24], [96, 48], [96, 70]], [[48, 60], [20, 24], [96, 84]]);
    check({ type: 'triangles', data: [[0.25, 0.25], [0.75, 0.25], [0.25, 0.75]] }, [[40, 30], [33, 64]], [[90, 66], [64, 80], [20, 20]]);
    check({ type: 'rectangles', line_width: 2, data: [[0.25, 0.25], [0.75, 0.75]] }, [[64, 24], [64, 72], [32, 48], [96, 48]], [[64, 48], [20, 48], [64, 80]]);
    check({ type: 'ovals', line_width: 2, data: [[0.5, 0.5, 0.5, 0.5]] }, [[96, 48], [32, 48], [64, 24], [64, 72]], [[64, 48], [40, 28], [100, 70]]);
    check({ type: 'crosses', line_width: 3, data: [[0.5, 0.5, 0.5]] }, [[64, 48], [64 + 20, 48], [64, 48 - 20]], [[74, 38], [54, 58], [64 + 30, 48]]);
  });

  it('draws text from the font inside its box and nowhere else', () => {
    fresh();
    layer({ type: 'text', color: [1, 1, 1, 1], data: [[0.1, 0.2, 0.25]], text: ['Hello'] });
    read();
    const x0 = 0.1 * W, y0 = 0.2 * H, size = 0.25 * H;
    const textW = r.measureText('Hello', size);
    let inside = 0, outside = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const lit = px(out, W, x, y)[0] > 60;
      const inBox = x >= x0 - 1 && x <= x0 + textW + 1 && y >= y0 - 1 && y <= y0 + size + 1;
      if (lit && inBox) inside++;
      if (lit && !inBox) outside++;
    }
    assert.ok(inside > 100, `text lit only ${inside} pixels in its ${textW.toFixed(0)}x${size} box`);
    assert.equal(outside, 0, 'text drew outside its box');
    // Glyph shapes, not boxes: the inside of the 'o' (last glyph) is dark.
    assert.ok(inside < 0.6 * textW * size, 'text filled most of its box: glyphs look like blocks');
  });

  it('blends a layer by its opacity', () => {
    fresh();
    const f = allocateFrame('rgba', W, H);
    for (let i = 0; i < f.planes[0].data.length; i += 4) f.planes[0].data.set([0, 0, 200, 255], i);
    r.setImage('video', f);
    layer({ type: 'triangles', color: [1, 1, 1, 1], opacity: 0.5, data: [[0, 0], [1, 0], [0, 1]] });
    read();
    assert.ok(near(px(out, W, 10, 10), [128, 128, 228, 255], 2), `got ${px(out, W, 10, 10)}`);
    assert.deepEqual(px(out, W, 120, 90), [0, 0, 200, 255]);
  });

  it('orders layers by priority, not by definition order', () => {
    fresh();
    layer({ type: 'triangles', color: [1, 0, 0, 1], priority: 2, data: [[0, 0], [1, 0], [0, 1]] });
    layer({ type: 'triangles', color: [0, 1, 0, 1], priority: 1, data: [[0, 0], [1, 0], [0, 1]] });
    assert.deepEqual(px(read(), W, 10, 10), [255, 0, 0, 255]);
    r.setGeometry({ layer: 'l' + (n - 1), data: [[0, 0], [1, 0], [0, 1]], priority: 3 });
    assert.deepEqual(px(read(), W, 10, 10), [0, 255, 0, 255]);
  });

  it('replaces geometry from a GeometryMessage and creates message-only layers', () => {
    fresh();
    r.setGeometry({ layer: 'box', type: 'rectangles', data: [[0.1, 0.1], [0.3, 0.3]], color: [1, 0, 0, 1], line_width: 2 });
    read();
    assert.ok(isRed(0.2 * W, 0.1 * H));
    r.setGeometry({ layer: 'box', data: [[0.6, 0.6], [0.9, 0.9]] });
    read();
    assert.ok(isBlack(0.2 * W, 0.1 * H));
    assert.ok(isRed(0.75 * W, 0.6 * H));
    assert.throws(() => r.setGeometry({ layer: 'nobody', data: [[0, 0]] }), /unknown layer 'nobody' needs a type/);
    r.destroy();
  });
});
