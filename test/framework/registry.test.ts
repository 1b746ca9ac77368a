import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OperatorRegistry } from '../../framework/index.ts';
import { builtinRegistry } from '../../operators/builtins.ts';

test('a lazily registered type is named at once and imported on first resolve, once', async () => {
  let loads = 0;
  const registry = new OperatorRegistry().registerLazy('PingTxOp', async () => {
    loads++;
    return (await import('../../operators/ping/ping-tx.ts')).PingTxOp;
  });
  assert.deepEqual(registry.names(), ['PingTxOp']);
  assert.ok(registry.has('PingTxOp'));
  assert.throws(() => registry.get('PingTxOp'), /not loaded yet: use await registry\.resolve\('PingTxOp'\)/);
  const [a, b] = await Promise.all([registry.resolve('PingTxOp'), registry.resolve('PingTxOp')]);
  assert.equal(a?.name, 'PingTxOp');
  assert.equal(a, b);
  assert.equal(registry.get('PingTxOp'), a);
  assert.equal(loads, 1);
  assert.equal(await registry.resolve('NoSuchOp'), undefined);
  assert.throws(() => registry.registerLazy('PingTxOp', async () => a!), /registered twice/);
});

test('a loader that gives another type is an error naming both', async () => {
  const registry = new OperatorRegistry().registerLazy('PingRxOp', async () => (await import('../../operators/ping/ping-tx.ts')).PingTxOp);
  await assert.rejects(registry.resolve('PingRxOp'), /the loader of operator type 'PingRxOp' gave PingTxOp/);
});

test('every built-in loader gives the definition of its name', async () => {
  const registry = builtinRegistry();
  const defs = await registry.loadAll();
  assert.deepEqual(defs.map((d) => d.name), registry.names());
  assert.ok(defs.length >= 11);
});
