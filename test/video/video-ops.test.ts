import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { lumaOf, VideoFrame } from '../../operators/messages/index.ts';
import { COLOR_BARS, frameToRgba, ImageWriterOp, renderTestPattern, TestPatternOp, TestPatternParams } from '../../operators/video/index.ts';

const rgbaAt = (rgba: Uint8Array, w: number, x: number, y: number) => Array.from(rgba.subarray((y * w + x) * 4, (y * w + x) * 4 + 4));
const close = (a: number[], b: readonly number[], tol: number) => b.every((v, i) => Math.abs(a[i] - v) <= tol);

describe('TestPatternOp', () => {
  it('validates its params with zod', () => {
    assert.throws(() => TestPatternParams.parse({ width: 0 }), /width/);
    assert.throws(() => TestPatternParams.parse({ format: 'bgr' }), /format/);
    assert.throws(() => TestPatternParams.parse({ colour: [1, 2, 3] }), /colour/);
    assert.deepEqual(TestPatternParams.parse({}).pattern, 'bars');
  });

  for (const format of ['rgba', 'rgb', 'gray', 'yuv420p', 'nv12'] as const) {
    it(`draws colour bars in ${format}`, () => {
      const f = renderTestPattern(TestPatternParams.parse({ width: 160, height: 40, format }), 0);
      assert.equal(f.format, format);
      const rgba = frameToRgba(f);
      COLOR_BARS.forEach((c, i) => {
        const got = rgbaAt(rgba, 160, i * 20 + 10, 20);
        const want = format === 'gray' ? Array(3).fill(Math.round(lumaOf(c[0], c[1], c[2]))) : c;
        assert.ok(close(got, want, format.startsWith('yuv') || format === 'nv12' ? 3 : 0), `${format} bar ${i}: ${got} vs ${want}`);
      });
    });
  }

  it('moves the box from frame to frame and stamps timestamps', () => {
    const p = TestPatternParams.parse({ width: 100, height: 50, pattern: 'moving_box', color: [255, 0, 0], speed: 10, fps: 25 });
    const a = frameToRgba(renderTestPattern(p, 0));
    const f2 = renderTestPattern(p, 2);
    const b = frameToRgba(f2);
    const boxX = (rgba: Uint8Array) => { for (let x = 0; x < 100; x++) if (rgbaAt(rgba, 100, x, 25)[0] === 255) return x; return -1; };
    assert.equal(boxX(b) - boxX(a), 20);
    assert.equal(f2.timestamp, 80);
  });

  it('emits one frame per compute in a graph bounded by a count condition', async () => {
    const got: VideoFrame[] = [];
    const Sink = defineOperator({ name: 'FrameSink', params: z.object({}), inputs: { in: port(VideoFrame) }, compute({ in: f }) { got.push(f); } });
    const app = new Application('tp', { logLevel: 'warn' });
    app.addFlow(app.add('src', TestPatternOp, { params: { width: 32, height: 16, pattern: 'solid', color: [1, 2, 3] }, conditions: [{ type: 'count', count: 4 }] }), app.add('sink', Sink));
    await app.run();
    assert.equal(got.length, 4);
    assert.deepEqual(Array.from(got[3].planes[0].data.subarray(0, 4)), [1, 2, 3, 255]);
  });
});

describe('ImageWriterOp', () => {
  it('writes every Nth frame as PNG up to max_count, converting yuv420p on the CPU', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holots-imgw-'));
    try {
      const app = new Application('iw', { logLevel: 'warn' });
      const src = app.add('src', TestPatternOp, { params: { width: 64, height: 32, format: 'yuv420p', pattern: 'bars' }, conditions: [{ type: 'count', count: 10 }] });
      const writer = app.add('writer', ImageWriterOp, { params: { directory: join(dir, 'out'), prefix: 'bars_', every: 3, max_count: 3 } });
      app.addFlow(src, writer);
      await app.run();
      const files = readdirSync(join(dir, 'out')).sort();
      assert.deepEqual(files, ['bars_000000.png', 'bars_000001.png', 'bars_000002.png']);
      const png = PNG.sync.read(readFileSync(join(dir, 'out', files[0])));
      assert.equal(png.width, 64);
      assert.equal(png.height, 32);
      COLOR_BARS.forEach((c, i) => {
        const got = rgbaAt(png.data, 64, i * 8 + 4, 16).slice(0, 3);
        assert.ok(close(got, c, 3), `bar ${i}: PNG has ${got}, expected ${c}`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad params clearly', () => {
    const app = new Application('iw2', { logLevel: 'warn' });
    assert.throws(() => app.add('w', ImageWriterOp, { params: { directory: '', every: 0 } }), /directory|every/);
  });
});
