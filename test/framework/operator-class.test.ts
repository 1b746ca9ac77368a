import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Application, defineOperatorClass, loadApp } from '../../framework/index.ts';
import { builtinRegistry } from '../../operators/index.ts';
import { OffsetOp } from './fixtures/holoscan-style.ts';
import { Source, makeSink } from './helpers.ts';

test('a Holoscan-style class runs in a graph with its params validated', async () => {
  const got: number[] = [];
  const app = new Application('cls', { logLevel: 'error' });
  const def = defineOperatorClass(OffsetOp);
  assert.deepEqual(Object.keys(def.inputs), ['in']);
  const off = app.add('off', def, { params: { offset: 100 } });
  app.addFlow(app.add('src', Source, { conditions: [{ type: 'count', count: 3 }] }), off).addFlow(off, app.add('sink', makeSink(got)));
  await app.run();
  assert.deepEqual(got, [101, 102, 103]);
  assert.throws(() => app.add('bad', def, { params: { offset: 'x' } }), /params\.offset/);
});

test('YAML loads a class export by path', async () => {
  const dir = await mkdtemp(join(new URL('./fixtures/', import.meta.url).pathname, '.tmp-'));
  try {
    const file = join(dir, 'app.yaml');
    await writeFile(file, 'name: cls\noperators:\n  tx: { type: PingTxOp, conditions: [{ type: count, count: 2 }] }\n  off: { type: ../holoscan-style.ts#OffsetOp, params: { offset: 5 } }\n  rx: { type: PingRxOp, params: { quiet: true } }\nflows:\n  - tx.out -> off.in\n  - off.out -> rx.in\n');
    const { app } = await loadApp(file, { registry: builtinRegistry(), logLevel: 'error' });
    await app.run();
    assert.equal(app.operator('rx').computeCount, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
