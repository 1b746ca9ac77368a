import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstValueFrom, toArray } from 'rxjs';
import { Application } from '../../framework/index.ts';
import { makeSink } from './helpers.ts';
import { ConnectedProbeOp } from './fixtures/workers/frames.ts';

/** Runs ConnectedProbeOp twice into a sink (on a pool of 1 when `pooled`), optionally observing `extra`. */
async function probe(pooled: boolean, observeExtra: boolean): Promise<number[]> {
  const got: number[] = [];
  const app = new Application('connected', { logLevel: 'error' });
  if (pooled) app.addPool('p', { threads: 1 });
  const op = app.add('probe', ConnectedProbeOp, { conditions: [{ type: 'count', count: 2 }], ...(pooled ? { pool: 'p' } : {}) });
  app.addFlow(op, app.add('sink', makeSink(got)), [['out', 'in']]);
  const extra = observeExtra ? firstValueFrom(app.output('probe.extra').pipe(toArray())) : null;
  await app.run();
  if (extra) assert.deepEqual(await extra, [], 'nothing was emitted on extra');
  return got;
}

test('ctx.isConnected: true for a connected output or one observed with app.output, false for one nobody reads', async () => {
  assert.deepEqual(await probe(false, false), [1, 1]);
  assert.deepEqual(await probe(false, true), [3, 3]);
});

test('ctx.isConnected on a worker thread: the ports as they were when the run started', async () => {
  assert.deepEqual(await probe(true, false), [1, 1]);
  assert.deepEqual(await probe(true, true), [3, 3]);
});
