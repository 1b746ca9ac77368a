import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { HolovizOp, TestPatternOp } from '../../operators/index.ts';
import { VideoFrame, allocateFrame } from '../../operators/messages/index.ts';
import { encodePng } from '../../operators/video/index.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { FrameStatsOp, motionBox, sampleLuma } from '../../apps/webrtc_overlay/frame-stats.ts';
import { loadApp } from '../../framework/index.ts';
import { builtinRegistry } from '../../operators/index.ts';

delete process.env.DISPLAY; // rendered headless through EGL: no X server needed
delete process.env.WAYLAND_DISPLAY;

test('FrameStatsOp measures brightness in every pixel format it takes', () => {
  const grid = new Float32Array(64 * 36);
  for (const format of ['rgba', 'rgb', 'yuv420p', 'gray'] as const) {
    const f = allocateFrame(format, 320, 180);
    // Fill the luma (or every RGB byte) with 100: the mean brightness is 100 either way.
    f.planes[0].data.fill(100);
    assert.ok(Math.abs(sampleLuma(f, grid) - 100) < 0.5, `${format}: ${sampleLuma(f, grid)}`);
  }
});

test('motionBox finds the changed cells and ignores noise below the threshold', () => {
  const a = new Float32Array(64 * 36).fill(50);
  const b = a.slice();
  for (let gy = 10; gy < 20; gy++) for (let gx = 8; gx < 16; gx++) b[gy * 64 + gx] = 200;
  b[0] = 60; // 10 levels: noise
  assert.deepEqual(motionBox(a, b, 24, 3), { x0: 8 / 64, y0: 10 / 36, x1: 16 / 64, y1: 20 / 36 });
  assert.equal(motionBox(a, a, 24, 3), null);
});

test('the overlay app graph: motion box, crosshair and label land at their positions in the rendered output', async () => {
  // The app's own layer specs, from its YAML, so the test renders what the app renders.
  const { spec } = await loadApp(new URL('../../apps/webrtc_overlay/app.yaml', import.meta.url).pathname, { registry: builtinRegistry(), logLevel: 'error' });
  const tensors = (spec.operators.holoviz.params as { tensors: unknown[] }).tensors;
  const rendered: VideoFrame[] = [];
  const Capture = defineOperator({ name: 'Capture', params: z.object({}), inputs: { in: port(VideoFrame) }, compute({ in: f }) { rendered.push({ ...f, planes: f.planes.map((p) => ({ ...p, data: p.data.slice() })) }); } });

  const app = new Application('overlay_test', { logLevel: 'warn' });
  const src = app.add('src', TestPatternOp, { params: { width: 640, height: 360, format: 'yuv420p', pattern: 'moving_box', speed: 40, color: [255, 255, 255] }, conditions: [{ type: 'count', count: 3 }] });
  const stats = app.add('stats', FrameStatsOp);
  const viz = app.add('holoviz', HolovizOp, { params: { width: 640, height: 360, headless: true, enable_render_buffer_output: true, tensors: tensors as never } });
  app.addFlow(src, stats);
  app.addFlow(stats, viz, [['frame', 'receivers']]);
  app.addFlow(stats, viz, [['overlay', 'receivers']], { capacity: 4 });
  app.addFlow(viz, app.add('capture', Capture), [['render_buffer_output', 'in']]);
  await app.run();
  const last = rendered[rendered.length - 1];
  assert.ok(last, 'nothing was rendered');
  const d = last.planes[0].data;
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync('test-artifacts/overlay-rendered.png', encodePng(last));
  const at = (x: number, y: number) => { const i = (y * 640 + x) * 4; return [d[i], d[i + 1], d[i + 2]]; };
  const anyIn = (x0: number, y0: number, x1: number, y1: number, pred: (p: number[]) => boolean) => {
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (pred(at(x, y))) return true;
    return false;
  };
  const red = (p: number[]) => p[0] > 200 && p[1] < 90 && p[2] < 90;
  const green = (p: number[]) => p[1] > 150 && p[0] < 110 && p[2] < 110;
  const yellow = (p: number[]) => p[0] > 180 && p[1] > 180 && p[2] < 100;

  // Frame 2's box spans x 80..152 (frame 1's: 40..112), y 144..216: the changed 10x10 cells run from
  // x 40 to 160 and y 140 to 220, so the motion rectangle's edges lie there.
  assert.ok(anyIn(37, 175, 43, 185, red), 'left edge of the motion box');
  assert.ok(anyIn(157, 175, 163, 185, red), 'right edge of the motion box');
  assert.ok(anyIn(95, 137, 105, 143, red), 'top edge of the motion box');
  assert.ok(!anyIn(250, 100, 600, 130, red), 'no red where nothing moved');
  // The crosshair at the centre; the picture elsewhere is the pattern's dark grey.
  assert.ok(anyIn(326, 176, 334, 184, green), 'crosshair arm right of the centre');
  assert.ok(near(at(500, 300), [32, 32, 32], 4), `background ${at(500, 300)}`);
  // The label's glyphs near the top-left corner.
  let yellowPixels = 0;
  for (let y = 5; y < 45; y++) for (let x = 5; x < 260; x++) if (yellow(at(x, y))) yellowPixels++;
  assert.ok(yellowPixels > 80, `label text pixels: ${yellowPixels}`);
});

function near(a: number[], b: number[], tol: number): boolean {
  return a.every((v, i) => Math.abs(v - b[i]) <= tol);
}
