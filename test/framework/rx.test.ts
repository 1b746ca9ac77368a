import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bufferCount, filter, firstValueFrom, from, interval, map, merge, Observable, of, Subject, take, throwError, toArray } from 'rxjs';
import { z } from 'zod';
import { Application, defineOperator, NumberMessage, OperatorError, port } from '../../framework/index.ts';
import { Forward, Source, makeSink } from './helpers.ts';

const quiet = { logLevel: 'error' as const };

/** Holds three numbers and emits their sum: what it still holds at end of stream must be flushed. */
const SumOfThree = defineOperator({
  name: 'SumOfThree',
  inputs: { in: port(NumberMessage) },
  outputs: { out: port(NumberMessage) },
  pipe: ({ in: in$ }) => ({ out: in$.pipe(bufferCount(3), map((xs) => xs.reduce((a, b) => a + b, 0))) }),
});

test('a port tapped with firstValueFrom: typed value and metadata, the graph undisturbed', async () => {
  const got: number[] = [];
  const app = new Application('tap', quiet);
  const src = app.add('src', Source, { conditions: [{ type: 'count', count: 5 }] });
  const fwd = app.add('fwd', Forward, { params: { tag: 'seen' } });
  app.addFlow(src, fwd).addFlow(fwd, app.add('sink', makeSink(got)));
  const third = firstValueFrom(app.output(fwd, 'out').pipe(filter((m) => m.value === 3)));
  const all = firstValueFrom(app.output('fwd.out').pipe(toArray()));
  await app.run();
  const m = await third;
  const n: number = m.value; // typed from Forward's definition
  assert.equal(n, 3);
  assert.deepEqual(m.meta, { seen: 3 });
  assert.deepEqual((await all).map((t) => t.value), [1, 2, 3, 4, 5], 'completes at the end of stream');
  assert.deepEqual(got, [1, 2, 3, 4, 5]);
});

test('a pipe operator flushes what it holds when its inputs end, before the graph ends', async () => {
  const got: number[] = [];
  const app = new Application('flush', quiet);
  const src = app.add('src', Source, { conditions: [{ type: 'count', count: 7 }] });
  const sum = app.add('sum', SumOfThree);
  app.addFlow(src, sum).addFlow(sum, app.add('sink', makeSink(got)));
  await app.run();
  assert.deepEqual(got, [1 + 2 + 3, 4 + 5 + 6, 7], 'the last partial buffer reaches the sink');
});

test('an Observable feeds an input port; its completion ends the stream, so the graph ends by itself', async () => {
  const got: number[] = [];
  const app = new Application('feed', quiet);
  const sum = app.add('sum', SumOfThree);
  app.addFlow(sum, app.add('sink', makeSink(got)));
  app.input(sum, 'in', from([1, 2, 3, 4]));
  await app.run();
  assert.deepEqual(got, [6, 4]);
});

/** Feeds 1..10 at once into a sink that takes 5 ms a message, through a queue of capacity 2. */
async function fastFeed(policy: 'pop' | 'reject' | 'fault') {
  const got: number[] = [];
  const app = new Application(`feed_${policy}`, quiet);
  const sink = app.add('sink', makeSink(got, { delayMs: 5 }));
  app.input(sink, 'in', from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), { capacity: 2, policy });
  const err = await app.run().then(() => null, (e: unknown) => e);
  return { got, err, drops: app.drops()['sink_in_source.out -> sink.in'] };
}

test('a fast Observable meets the edge policy: pop keeps the newest, reject the oldest, fault fails naming the feed', async () => {
  // The sink takes 1 at once; 2..10 arrive while it works and meet the full queue of 2.
  const pop = await fastFeed('pop');
  assert.equal(pop.err, null);
  assert.deepEqual(pop.got, [1, 9, 10]);
  assert.equal(pop.drops, 7);
  const reject = await fastFeed('reject');
  assert.deepEqual(reject.got, [1, 2, 3]);
  assert.equal(reject.drops, 7);
  const fault = await fastFeed('fault');
  assert.ok(fault.err instanceof OperatorError, String(fault.err));
  assert.equal(fault.err.operator, 'sink_in_source');
  assert.equal((fault.err.cause as Error).name, 'QueueFaultError');
  assert.deepEqual(fault.got, [1], 'the app stopped at the fault');
});

test("an Observable's error is an OperatorError naming its operator; a pipe's throw names the pipe", async () => {
  const app = new Application('feed_error', quiet);
  const sink = app.add('sink', makeSink([]));
  app.input(sink, 'in', merge(of(1, 2), throwError(() => new Error('camera gone'))), { name: 'camera' });
  const err = await app.run().then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OperatorError);
  assert.equal(err.operator, 'camera');
  assert.equal(err.phase, 'stream');
  assert.match(err.message, /operator 'camera' \(ObservableSource\) failed in stream: camera gone/);

  const Picky = defineOperator({
    name: 'Picky',
    inputs: { in: port(NumberMessage) },
    outputs: { out: port(NumberMessage) },
    pipe: ({ in: in$ }) => ({ out: in$.pipe(map((v) => { if (v === 3) throw new Error('no threes'); return v; })) }),
  });
  const got: number[] = [];
  const app2 = new Application('pipe_error', quiet);
  const picky = app2.add('picky', Picky);
  app2.addFlow(app2.add('src', Source, { conditions: [{ type: 'count', count: 5 }] }), picky).addFlow(picky, app2.add('sink', makeSink(got)));
  const err2 = await app2.run().then(() => null, (e: unknown) => e);
  assert.ok(err2 instanceof OperatorError);
  assert.equal(err2.operator, 'picky');
  assert.match(err2.message, /no threes/);
  assert.deepEqual(got, [1, 2]);
});

test('a tap completes at its operator’s end of stream while the rest of the graph runs on', async () => {
  const app = new Application('branches', quiet);
  const fwd = app.add('fwd', Forward);
  app.addFlow(fwd, app.add('sink', makeSink([])));
  app.input(fwd, 'in', of(1, 2, 3));
  app.addFlow(app.add('ticker', Source, { conditions: [{ type: 'periodic', period: '5ms' }] }), app.add('sink2', makeSink([])));
  const finite = firstValueFrom(app.output(fwd, 'out').pipe(toArray()));
  const running = app.run();
  assert.deepEqual((await finite).map((m) => m.value), [1, 2, 3]);
  assert.ok(app.operator('ticker').computeCount >= 1);
  const ticks = firstValueFrom(app.output('ticker.out').pipe(take(2), toArray()));
  assert.equal((await ticks).length, 2, 'a tap added mid-run sees what comes next');
  app.stop('test over');
  await running;
});

test('a pipe holding items at stop: its flush reaches taps, not operators, and is counted as undelivered', async () => {
  const got: number[] = [];
  const app = new Application('stop_flush', quiet);
  const sum = app.add('sum', SumOfThree);
  app.addFlow(sum, app.add('sink', makeSink(got)));
  const feed = new Subject<number>();
  app.input(sum, 'in', feed);
  const seen = firstValueFrom(app.output(sum, 'out').pipe(map((m) => m.value), toArray()));
  const running = app.run();
  while (!feed.observed) await new Promise((r) => setImmediate(r));
  for (const v of [1, 2, 3, 4, 5]) feed.next(v); // 6 goes through; 4 and 5 are held
  app.stop('test over');
  await running;
  assert.deepEqual(got, [6]);
  assert.deepEqual(await seen, [6, 9], 'the flush reached the tap');
  assert.deepEqual(app.undelivered(), { 'sum.out': 1 });
});

test('RxJS operators load from YAML like any operator (./x.ts#Op and the registered ThrottleOp)', async () => {
  const { loadApp } = await import('../../framework/index.ts');
  const { builtinRegistry } = await import('../../operators/index.ts');
  const { app } = await loadApp(new URL('./fixtures/rx.yaml', import.meta.url).pathname, { registry: builtinRegistry(), logLevel: 'error' });
  const sums = firstValueFrom(app.output('sum.out').pipe(map((m) => m.value), toArray()));
  const throttled = firstValueFrom(app.output('throttle.out').pipe(map((m) => m.value), toArray()));
  await app.run(); // ends by itself: the range completes, the sums flush, the throttle completes
  assert.deepEqual(await sums, [1 + 2 + 3 + 4, 5 + 6 + 7 + 8, 9 + 10]);
  assert.deepEqual(await throttled, [10], 'one message per minute: only the first passes');
});
