import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppFileError, loadApp } from '../../framework/index.ts';
import { builtinRegistry } from '../../operators/index.ts';

const registry = builtinRegistry();
const fixtures = new URL('./fixtures/', import.meta.url).pathname;

// Temporary files live beside the fixtures so `../scale.ts` resolves and imports its packages.
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function yamlFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(fixtures, '.tmp-'));
  dirs.push(dir);
  const file = join(dir, 'app.yaml');
  await writeFile(file, text);
  return file;
}

async function loadError(text: string, set?: string[]): Promise<AppFileError> {
  const file = await yamlFile(text);
  const err = await loadApp(file, { registry, set, logLevel: 'error' }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof AppFileError, `expected an AppFileError, got ${String(err)}`);
  assert.ok(err.message.startsWith(file), `the error names the file: ${err.message}`);
  return err;
}

const GOOD = `name: ping
operators:
  tx: { type: PingTxOp, conditions: [{ type: count, count: 10 }] }
  rx: { type: PingRxOp, params: { quiet: true } }
flows:
  - tx.out -> rx.in
`;

test('a good file loads, runs, and the long flow form sets capacity and policy', async () => {
  const { app } = await loadApp(join(fixtures, 'custom.yaml'), { registry, logLevel: 'error' });
  await app.run();
  assert.deepEqual(app.flows().map((f) => [f.from, f.to, f.capacity, f.policy]), [['tx', 'scale', 1, 'pop'], ['scale', 'rx', 4, 'pop']]);
  assert.equal(app.operator('rx').computeCount, 3);
});

test('a custom operator from ./file.ts#Export is loaded and its params validated', async () => {
  const { app } = await loadApp(join(fixtures, 'custom.yaml'), { registry, logLevel: 'error' });
  assert.equal(app.operator('scale').type, 'ScaleOp');
  assert.deepEqual(app.operator('scale').params, { factor: 10 });
  const bad = await loadError(GOOD.replace('rx: { type: PingRxOp, params: { quiet: true } }', 'rx: { type: ../scale.ts#ScaleOp, params: { factor: -1 } }'));
  assert.match(bad.message, /:4: operator 'rx' \(ScaleOp\): params\.factor: .*>0/);
});

test('unknown operator type names the operator, the field and the line', async () => {
  const e = await loadError(GOOD.replace('type: PingRxOp', 'type: PongRxOp'));
  assert.equal(e.line, 4);
  assert.match(e.message, /operators\.rx\.type: unknown operator type 'PongRxOp' \(registered: .*PingRxOp/);
});

test('a custom type with a missing export lists the exports that are operators', async () => {
  const e = await loadError(GOOD.replace('type: PingRxOp', 'type: ../scale.ts#notAnOperator'));
  assert.match(e.message, /no operator export 'notAnOperator' \(operators it exports: ScaleOp\)/);
  const missing = await loadError(GOOD.replace('type: PingRxOp', 'type: ./nope.ts#X'));
  assert.match(missing.message, /operators\.rx\.type: cannot load/);
});

test('unknown and invalid params name the field', async () => {
  const unknown = await loadError(GOOD.replace('quiet: true', 'loud: true'));
  assert.match(unknown.message, /:4: operator 'rx' \(PingRxOp\): params\.loud: unknown parameter \(PingRxOp takes: quiet\)/);
  const invalid = await loadError(GOOD.replace('quiet: true', 'quiet: maybe'));
  assert.match(invalid.message, /operator 'rx' \(PingRxOp\): params\.quiet: .*expected boolean/);
});

test('unknown ports and incompatible types in flows are refused', async () => {
  const port = await loadError(GOOD.replace('tx.out -> rx.in', 'tx.out -> rx.input'));
  assert.equal(port.line, 6);
  assert.match(port.message, /flows\[0\]: operator 'rx' \(PingRxOp\) has no input port 'input'; it has: in/);
  const op = await loadError(GOOD.replace('tx.out -> rx.in', 'tx.out -> ry.in'));
  assert.match(op.message, /flows\[0\]: unknown operator 'ry'/);
  const shape = await loadError(GOOD.replace('tx.out -> rx.in', 'tx.out => rx.in'));
  assert.match(shape.message, /flows\[0\]/);
});

test('bad conditions, bad structure and YAML syntax errors are located', async () => {
  const cond = await loadError(GOOD.replace('count: 10', 'count: -1'));
  assert.match(cond.message, /:3: operators\.tx\.conditions\[0\]\.count/);
  const extra = await loadError(GOOD + 'extra: 1\n');
  assert.match(extra.message, /extra|Unrecognized/);
  const syntax = await loadError('name: x\noperators:\n  tx: { type: PingTxOp\n');
  assert.match(syntax.message, /YAML syntax/);
});

test('--set overrides params, parsing values as YAML scalars, and names unknown operators', async () => {
  const file = await yamlFile(GOOD);
  const { app } = await loadApp(file, { registry, set: ['tx.start=100', 'rx.quiet=false'], logLevel: 'error' });
  assert.deepEqual(app.operator('tx').params, { start: 100, step: 1 });
  assert.deepEqual(app.operator('rx').params, { quiet: false });
  const e = await loadError(GOOD, ['nobody.x=1']);
  assert.match(e.message, /--set 'nobody\.x=1': no operator 'nobody'/);
  const typed = await loadError(GOOD, ['tx.start=abc']);
  assert.match(typed.message, /params\.start/);
});
