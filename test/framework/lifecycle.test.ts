import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Application, OperatorError } from '../../framework/index.ts';
import { makeLifecycleOp } from './helpers.ts';

const quiet = { logLevel: 'error' as const };

function chain(events: string[], throwAt?: { op: string; phase: 'initialize' | 'start' | 'compute' | 'stop' }) {
  const app = new Application('life', quiet);
  const names = ['a', 'b', 'c'];
  const handles = names.map((n, i) =>
    app.add(n, makeLifecycleOp(n, events, { asSource: i === 0, throwIn: throwAt?.op === n ? throwAt.phase : undefined }), i === 0 ? { conditions: [{ type: 'count', count: 3 }] } : {}),
  );
  app.addFlow(handles[0], handles[1]).addFlow(handles[1], handles[2]);
  return app;
}

test('lifecycle: initialize and start in topological order, stop once each in reverse', async () => {
  const events: string[] = [];
  await chain(events).run();
  assert.deepEqual(events, ['a.initialize', 'b.initialize', 'c.initialize', 'a.start', 'b.start', 'c.start', 'c.stop', 'b.stop', 'a.stop']);
});

test('an application runs again: the second run is a fresh one (lifecycle, count condition, queues)', async () => {
  const events: string[] = [];
  const app = chain(events);
  await app.run();
  const first = [...events];
  events.length = 0;
  await app.run();
  assert.deepEqual(events, first);
  assert.equal(app.operator('c').computeCount, 3, 'the count condition started over');
});

test('an operator that throws in compute: run rejects naming it, keeps the cause, stops everyone once', async () => {
  const events: string[] = [];
  const err = await chain(events, { op: 'b', phase: 'compute' }).run().then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OperatorError);
  assert.equal(err.operator, 'b');
  assert.equal(err.phase, 'compute');
  assert.match(err.message, /operator 'b' \(Lifecycle\) failed in compute: b broke in compute/);
  assert.equal((err.cause as Error).message, 'b broke in compute');
  assert.deepEqual(events.filter((e) => e.endsWith('.stop')), ['c.stop', 'b.stop', 'a.stop']);
});

test('a failure in start stops only the operators that started', async () => {
  const events: string[] = [];
  await assert.rejects(chain(events, { op: 'b', phase: 'start' }).run(), /operator 'b' \(Lifecycle\) failed in start/);
  // b's start ran (and threw), so b counts as started and is stopped too; c never started.
  assert.deepEqual(events.filter((e) => e.endsWith('.stop')), ['b.stop', 'a.stop']);
  assert.ok(!events.includes('c.start'));
});

test('a failure in initialize starts nothing', async () => {
  const events: string[] = [];
  await assert.rejects(chain(events, { op: 'c', phase: 'initialize' }).run(), /operator 'c' \(Lifecycle\) failed in initialize/);
  assert.ok(!events.some((e) => e.endsWith('.start') || e.endsWith('.stop')));
});

test('a failure in stop is reported, and the other operators still stop', async () => {
  const events: string[] = [];
  await assert.rejects(chain(events, { op: 'b', phase: 'stop' }).run(), /operator 'b' \(Lifecycle\) failed in stop/);
  assert.deepEqual(events.filter((e) => e.endsWith('.stop')), ['c.stop', 'b.stop', 'a.stop']);
});

test('an async compute in flight is awaited before stop()', async () => {
  const { z } = await import('zod');
  const { defineOperator, port, NumberMessage } = await import('../../framework/index.ts');
  const events: string[] = [];
  const Slow = defineOperator({
    name: 'Slow', params: z.object({}), outputs: { out: port(NumberMessage) },
    async compute(_i, _e, ctx) { events.push('compute.begin'); ctx.stopApp(); await new Promise((r) => setTimeout(r, 30)); events.push('compute.end'); },
    stop() { events.push('stop'); },
  });
  const app = new Application('inflight', quiet);
  app.add('slow', Slow, { conditions: [{ type: 'count', count: 1 }] });
  await app.run();
  assert.deepEqual(events, ['compute.begin', 'compute.end', 'stop']);
});
