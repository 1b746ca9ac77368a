import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { GeometryMessage, HolovizOp, HolovizParams } from '../../operators/holoviz/index.ts';
import { allocateFrame, VideoFrame } from '../../operators/messages/index.ts';
import { TestPatternOp } from '../../operators/video/index.ts';
import { near, px, withoutDisplay } from './helpers.ts';

withoutDisplay();

const FrameSink = (got: VideoFrame[]) => defineOperator({
  name: 'RenderSink', params: z.object({}), inputs: { in: port(VideoFrame) }, compute({ in: f }) { got.push(f); },
});

/** Emits one box per compute, moving right, as a tracker would. */
const BoxSource = defineOperator({
  name: 'BoxSource', params: z.object({}), outputs: { out: port(GeometryMessage) },
  initialize: () => ({ i: 0 }),
  compute(_in, emit, ctx) {
    const x = 0.1 + 0.2 * ctx.state.i++;
    emit.out({ layer: 'box', type: 'rectangles', data: [[x, 0.25], [x + 0.2, 0.75]] });
  },
});

describe('HolovizOp headless (EGL, no X)', () => {
  it('rejects duplicate layer names and data on image layers', () => {
    assert.throws(() => HolovizParams.parse({ tensors: [{ name: 'a', type: 'color' }, { name: 'a', type: 'points' }] }), /used twice/);
    assert.throws(() => HolovizParams.parse({ tensors: [{ name: 'v', type: 'color', data: [[0, 0]] }] }), /takes frames/);
  });

  it('TestPatternOp -> HolovizOp renders frames plus static and dynamic geometry to render_buffer_output', async () => {
    const got: VideoFrame[] = [];
    const app = new Application('hello_holoviz', { logLevel: 'warn' });
    const src = app.add('src', TestPatternOp, { params: { width: 160, height: 120, format: 'yuv420p', pattern: 'solid', color: [0, 0, 255] }, conditions: [{ type: 'count', count: 3 }] });
    const boxes = app.add('boxes', BoxSource, { conditions: [{ type: 'count', count: 3 }] });
    const viz = app.add('viz', HolovizOp, {
      params: {
        width: 160, height: 120, headless: 'auto', enable_render_buffer_output: true,
        tensors: [
          { name: 'video', type: 'color' },
          { name: 'box', type: 'rectangles', color: [1, 0, 0, 1], line_width: 3, priority: 1 },
          { name: 'dot', type: 'points', color: [0, 1, 0, 1], point_size: 10, data: [[0.9, 0.1]] },
        ],
      },
    });
    const sink = app.add('sink', FrameSink(got));
    app.addFlow(src, viz, [['out', 'receivers']]);
    app.addFlow(boxes, viz, [['out', 'receivers']]);
    app.addFlow(viz, sink, [['render_buffer_output', 'in']]);
    await app.run();
    assert.ok(got.length >= 1, 'no rendered frame came out');
    const last = got[got.length - 1];
    assert.equal(last.format, 'rgba');
    assert.equal(last.width, 160);
    const d = last.planes[0].data;
    // Blue frame (BT.601 limited round trip), green static dot, red box from the newest message (x 0.5..0.7).
    assert.ok(near(px(d, 160, 10, 100), [0, 0, 255, 255], 3), `background ${px(d, 160, 10, 100)}`);
    assert.ok(near(px(d, 160, 144, 12), [0, 255, 0, 255], 3), `dot ${px(d, 160, 144, 12)}`);
    assert.ok(near(px(d, 160, 80, 60), [255, 0, 0, 255], 3), `box edge ${px(d, 160, 80, 60)}`);
    assert.ok(near(px(d, 160, 96, 60), [0, 0, 255, 255], 3), `box inside ${px(d, 160, 96, 60)}`);
  });

  it('letterboxes a 4:3 picture into a 16:9 render buffer, with black bars, and keeps geometry on the picture', async () => {
    // 160x120 (4:3), left half red, right half blue, into 320x180 (16:9): the picture is 240x180 at x 40.
    const Halves = defineOperator({
      name: 'Halves', params: z.object({}), outputs: { out: port(VideoFrame) },
      compute(_in, emit) {
        const f = allocateFrame('rgba', 160, 120);
        const d = f.planes[0].data;
        for (let y = 0; y < 120; y++) for (let x = 0; x < 160; x++) d.set(x < 80 ? [255, 0, 0, 255] : [0, 0, 255, 255], (y * 160 + x) * 4);
        emit.out(f);
      },
    });
    const got: VideoFrame[] = [];
    const app = new Application('letterbox', { logLevel: 'warn' });
    const src = app.add('src', Halves, { conditions: [{ type: 'count', count: 2 }] });
    const viz = app.add('viz', HolovizOp, {
      params: {
        width: 320, height: 180, headless: true, enable_render_buffer_output: true,
        tensors: [{ name: 'video', type: 'color' }, { name: 'dot', type: 'points', color: [0, 1, 0, 1], point_size: 8, data: [[0.75, 0.25]] }],
      },
    });
    app.addFlow(src, viz, [['out', 'receivers']]);
    app.addFlow(viz, app.add('sink', FrameSink(got)), [['render_buffer_output', 'in']]);
    await app.run();
    const last = got[got.length - 1];
    assert.ok(last, 'nothing was rendered');
    assert.equal(last.width, 320);
    assert.equal(last.height, 180);
    const d = last.planes[0].data;
    for (const [x, y] of [[0, 90], [39, 0], [39, 179], [280, 90], [319, 179]]) assert.deepEqual(px(d, 320, x, y), [0, 0, 0, 255], `bar at ${x},${y}`);
    for (const [x, y] of [[40, 0], [100, 90], [150, 179]]) assert.deepEqual(px(d, 320, x, y), [255, 0, 0, 255], `left half at ${x},${y}`);
    for (const [x, y] of [[170, 0], [220, 150], [279, 179]]) assert.deepEqual(px(d, 320, x, y), [0, 0, 255, 255], `right half at ${x},${y}`);
    // Filtering blends the halves only next to x 160. (0.75, 0.25) of the picture, not of the buffer: x 40 + 180, y 45.
    assert.ok(near(px(d, 320, 220, 45), [0, 255, 0, 255], 3), `dot ${px(d, 320, 220, 45)}`);
  });

  it('names itself when a receiver gets something it cannot draw', async () => {
    const Junk = defineOperator({ name: 'Junk', params: z.object({}), outputs: { out: port(GeometryMessage) }, compute(_i, emit) { emit.out(42 as never); } });
    const app = new Application('junk', { logLevel: 'error' });
    app.addFlow(app.add('junk', Junk, { conditions: [{ type: 'count', count: 1 }] }), app.add('viz', HolovizOp, { params: { width: 8, height: 8, headless: true } }), [['out', 'receivers']]);
    await assert.rejects(app.run(), /viz[\s\S]*receivers got a number/);
  });
});
