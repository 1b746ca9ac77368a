import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Application, AppFileError, defineOperator, GraphError, loadApp, NumberMessage, OperatorError, OperatorRegistry, port } from '../../framework/index.ts';
import { VideoFrame } from '../../operators/messages/index.ts';
import { builtinRegistry, HolovizOp } from '../../operators/index.ts';
import { runHolots, ROOT } from '../../testkit/app-process.ts';
import { blur5x5, BlurOp } from './fixtures/workers/blur.ts';
import { collected, gradientFrame, JitterOp, TickerOp } from './fixtures/workers/frames.ts';

const fixtures = fileURLToPath(new URL('./fixtures/workers/', import.meta.url));

/** Every output frame is the blur of input frame `i`, in order, with its chroma passed through untouched. */
function assertBlurredInOrder(frames: VideoFrame[], count: number, width: number, height: number): void {
  assert.equal(frames.length, count);
  frames.forEach((f, i) => {
    assert.equal(f.timestamp, i, `frame ${i} arrived out of order`);
    const expected = blur5x5(gradientFrame(width, height, i).planes[0].data, width, height, width);
    assert.equal(f.planes[0].data.length, expected.length);
    assert.ok(Buffer.from(f.planes[0].data).equals(Buffer.from(expected)), `frame ${i}: luma is not the blur of the input`);
    assert.ok(f.planes[1].data.every((u) => u === i) && f.planes[2].data.every((v) => v === 255 - i), `frame ${i}: chroma changed on the way`);
  });
}

test('YAML: an operator on a pool of 2 threads blurs every frame; pictures intact, in input order; the app runs again', async () => {
  const { app } = await loadApp(`${fixtures}pool-blur.yaml`, { registry: new OperatorRegistry(), logLevel: 'error' });
  await app.run();
  assert.equal(app.workerThreadsStarted, 2);
  assertBlurredInOrder(collected.get('sink')!, 12, 96, 64);
  // A second run is a fresh one: new threads, the count condition and the operators' state start over.
  await app.run();
  assert.equal(app.workerThreadsStarted, 4);
  assertBlurredInOrder(collected.get('sink')!, 12, 96, 64);
});

test('a worker operator emits between computes (a timer in its thread): delivered at once, no stale metadata', async () => {
  const got: { v: number; meta: Record<string, unknown> }[] = [];
  const Keep = defineOperator({
    name: 'KeepNumbers', params: z.object({}).strict(), inputs: { in: port(NumberMessage) },
    compute({ in: v }, _e, ctx) { got.push({ v, meta: { ...ctx.metadata } }); },
  });
  const app = new Application('ticker', { logLevel: 'error' });
  app.addPool('io', { threads: 1 });
  const ticker = app.add('ticker', TickerOp, { pool: 'io', params: { count: 4 } });
  app.addFlow(ticker, app.add('sink', Keep), [['out', 'in']], { capacity: 4 });
  await app.run();
  assert.deepEqual(got.map((g) => g.v), [1, 2, 3, 4]);
  for (const g of got) {
    assert.deepEqual(Object.keys(g.meta).sort(), ['thread', 'tick'], 'only what the emit gave');
    assert.equal(g.meta.tick, g.v);
    assert.notEqual(g.meta.thread, 0, 'emitted on the worker thread, not the main one');
  }
});

test('TS: addPool + add(..., { pool }); owned planes move (the sender\'s buffer is detached), views and fanned-out frames are copied', async () => {
  const sent: VideoFrame[] = [];
  const backing: ArrayBuffer[] = [];
  // Owned planes on one output; on the other, planes that are views into one larger buffer, like a decoder's picture.
  const Src = defineOperator({
    name: 'ViewSource',
    params: z.object({}).strict(),
    outputs: { owned: port(VideoFrame), views: port(VideoFrame) },
    initialize: () => ({ i: 0 }),
    compute(_in, emit, ctx) {
      const i = ctx.state.i++;
      const owned = gradientFrame(64, 48, i);
      const f = gradientFrame(64, 48, i);
      const big = new Uint8Array(8 + f.planes.reduce((n, p) => n + p.data.length, 0));
      let o = 8;
      const planes = f.planes.map((p) => { const v = big.subarray(o, o + p.data.length); v.set(p.data); o += p.data.length; return { data: v, stride: p.stride }; });
      backing.push(big.buffer);
      sent.push(owned);
      emit.owned(owned);
      emit.views({ ...f, planes });
    },
  });
  const got: Record<string, VideoFrame[]> = { owned: [], views: [], raw: [] };
  const sink = (key: string) => defineOperator({ name: 'Keep', params: z.object({}).strict(), inputs: { in: port(VideoFrame) }, compute({ in: f }) { got[key].push(f); } });
  const app = new Application('pool_ts', { logLevel: 'error' });
  app.addPool('cv', { threads: 2 });
  const src = app.add('src', Src, { conditions: [{ type: 'count', count: 6 }] });
  const blurOwned = app.add('blur_owned', BlurOp, { pool: 'cv' });
  const blurViews = app.add('blur_views', BlurOp, { pool: 'cv', instances: 1 });
  app.addFlow(src, blurOwned, [['owned', 'in']]);
  app.addFlow(src, blurViews, [['views', 'in']]);
  app.addFlow(src, app.add('raw', sink('raw')), [['views', 'in']]); // fans out: the pool must copy
  app.addFlow(blurOwned, app.add('owned_sink', sink('owned')));
  app.addFlow(blurViews, app.add('views_sink', sink('views')));
  await app.run();
  assertBlurredInOrder(got.owned, 6, 64, 48);
  assertBlurredInOrder(got.views, 6, 64, 48);
  assert.ok(sent.every((f) => f.planes[0].data.byteLength === 0), 'owned planes were moved to the worker, not copied');
  assert.ok(backing.every((b) => b.byteLength > 0), 'a view\'s backing buffer stays with its owner');
  got.raw.forEach((f, i) => assert.equal(f.planes[0].data[5], gradientFrame(64, 48, i).planes[0].data[5], 'the fanned-out reader still has its pixels'));
});

test('2 threads: outputs leave in input order even when a later input finishes first; both threads compute', async () => {
  const out: number[] = [];
  const threads = new Set<unknown>();
  const Count = defineOperator({ name: 'Count', params: z.object({}).strict(), outputs: { out: port(NumberMessage) }, initialize: () => ({ n: 0 }), compute(_i, emit, ctx) { emit.out(ctx.state.n++); } });
  const Keep = defineOperator({ name: 'KeepN', params: z.object({}).strict(), inputs: { in: port(NumberMessage) }, compute({ in: v }, _e, ctx) { out.push(v); threads.add(ctx.metadata.thread); } });
  const app = new Application('order', { logLevel: 'error' });
  app.addPool('p', { threads: 2 });
  const c = app.add('count', Count, { conditions: [{ type: 'count', count: 20 }] });
  const j = app.add('jitter', JitterOp, { pool: 'p', params: { delay_ms: 25 } });
  app.addFlow(c, j);
  app.addFlow(j, app.add('keep', Keep));
  await app.run();
  assert.deepEqual(out, Array.from({ length: 20 }, (_, i) => i));
  assert.equal(threads.size, 2, 'both threads computed');
});

test('an exception in a worker\'s compute names the operator; the app stops cleanly', async () => {
  const { app } = await loadApp(`${fixtures}faulty.yaml`, { registry: new OperatorRegistry(), set: ['faulty.how=throw'], logLevel: 'error' });
  await assert.rejects(app.run(), (e: unknown) => {
    assert.ok(e instanceof OperatorError);
    assert.equal(e.operator, 'faulty');
    assert.match(e.message, /operator 'faulty' \(FaultyOp\) failed in compute: frame 2 is cursed/);
    assert.match(String((e.cause as Error).stack), /faulty\.ts/, 'the stack points into the worker\'s module');
    return true;
  });
  assert.equal(collected.get('sink')!.length, 2, 'the frames before the failure went through');
});

test('a worker that exits (process.exit) or dies of an uncaught error is a named error from the CLI, exit 1, no hang', () => {
  for (const [how, why] of [['exit', /died: it exited with code 3/], ['uncaught', /died: uncaught Error: a timer blew up/]] as const) {
    const r = spawnSync(process.execPath, ['bin/holots.js', 'run', `${fixtures}faulty.yaml`, '--set', `faulty.how=${how}`], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.signal, null, `holots hung with a dead worker (${how}); stderr:\n${r.stderr}`);
    assert.equal(r.status, 1, r.stderr);
    const first = r.stderr.split('\n').find((l) => l.startsWith('holots:'))!;
    assert.match(first, /operator 'faulty' \(FaultyOp\) failed in compute: worker thread 0 of pool 'cv'/);
    assert.match(first, why);
    
  }
});

test('SIGINT with workers computing: every worker stops and holots exits 0', async () => {
  const p = runHolots(['run', `${fixtures}forever.yaml`]);
  await p.waitForOutput(/collected 20 frames/, 60_000);
  const code = await p.stop(20_000);
  assert.equal(code, 0, p.stderr);
  assert.match(p.stderr, /SIGINT: stopping/);
});

test('main-thread-only operators refuse a pool, naming the operator and why; a definition without a module is refused too', async () => {
  const app = new Application('refuse', { logLevel: 'error' });
  app.addPool('cv', { threads: 1 });
  assert.throws(() => app.add('viz', HolovizOp, { pool: 'cv' }), (e: unknown) => e instanceof GraphError && /operator 'viz' \(HolovizOp\) must run on the main thread and cannot use pool 'cv': its OpenGL context/.test(e.message));
  const NoModule = defineOperator({ name: 'NoModuleOp', params: z.object({}).strict(), inputs: { in: port(NumberMessage) }, compute() {} });
  assert.throws(() => app.add('nm', NoModule, { pool: 'cv' }), /operator 'nm' \(NoModuleOp\) cannot run on pool 'cv': a worker thread cannot find its module\. Give its definition `module: import\.meta\.url`/);
  assert.throws(() => app.add('b', BlurOp, { pool: 'gpu' }), /operator 'b' \(BlurOp\): no pool named 'gpu' \(pools: cv\)/);
  const yaml = `${fixtures}.tmp-refuse.yaml`;
  const { writeFileSync, rmSync } = await import('node:fs');
  writeFileSync(yaml, 'name: refuse\npools: { cv: { threads: 1 } }\noperators:\n  web: { type: WebServerOp, pool: cv }\n');
  try {
    await assert.rejects(loadApp(yaml, { registry: builtinRegistry(), logLevel: 'error' }), (e: unknown) => e instanceof AppFileError && e.line === 4 && /operator 'web' \(WebServerOp\) must run on the main thread .*listening socket/.test(e.message));
  } finally {
    rmSync(yaml, { force: true });
  }
});

test('params are validated on the main thread before any worker starts', async () => {
  const app = new Application('params', { logLevel: 'error' });
  app.addPool('cv', { threads: 2 });
  assert.throws(() => app.add('blur', BlurOp, { pool: 'cv', params: { passes: 0 } }), /operator 'blur' \(BlurOp\): params\.passes: .*>=1/);
  assert.throws(() => app.addPool('bad', { threads: 0 }), /pool 'bad': threads: .*>=1/);
  assert.equal(app.workerThreadsStarted, 0);
  const r = spawnSync(process.execPath, ['bin/holots.js', 'run', `${fixtures}pool-blur.yaml`, '--set', 'blur.passes=many'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr.split('\n')[0], /--set blur\.passes=many: operator 'blur' \(BlurOp\): params\.passes: /);
  assert.doesNotMatch(r.stderr, /collected/, 'nothing ran');
});
