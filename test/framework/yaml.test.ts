import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AppFileError, GraphError, loadApp } from '../../framework/index.ts';
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

async function loadError(text: string, set?: string[], inDir?: string): Promise<AppFileError> {
  const file = inDir ? join(inDir, 'app.yaml') : await yamlFile(text);
  if (inDir) await writeFile(file, text);
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
  assert.match(e.message, /--set nobody\.x=1: no operator 'nobody'/);
});

test('a bad --set value is blamed on the --set, not on the line of the file it overrides', async () => {
  const file = await yamlFile(GOOD);
  const err = await loadApp(file, { registry, set: ['tx.start=abc'], logLevel: 'error' }).then(() => null, (x: unknown) => x);
  assert.ok(err instanceof GraphError && !(err instanceof AppFileError), `expected a GraphError, got ${String(err)}`);
  assert.match(err.message, /^--set tx\.start=abc: operator 'tx' \(PingTxOp\): params\.start: /);
  // An app option reports itself the way the user typed it.
  const opt = await loadApp(file, { registry, set: [{ set: 'tx.start=abc', from: '--start abc' }], logLevel: 'error' }).then(() => null, (x: unknown) => x);
  assert.match(String((opt as Error).message), /^--start abc: operator 'tx'/);
  // The file's own bad value still names the file and line.
  const own = await loadError(GOOD.replace('rx: { type: PingRxOp, params: { quiet: true } }', 'rx: { type: PingRxOp, params: { quiet: 3 } }'));
  assert.match(own.message, /app\.yaml:4: operator 'rx'/);
});

test('a syntax error in a TypeScript operator keeps its file, line and column', async () => {
  const file = await yamlFile(`name: broken
operators:
  grey: { type: ./grey.ts#GreyOp }
`);
  await writeFile(join(dirname(file), 'grey.ts'), `export const GreyOp = {\n  name: 'GreyOp',,\n};\n`);
  const e = await loadError(await readFile(file, 'utf8'), undefined, dirname(file));
  assert.match(e.message, /:3: operators\.grey\.type: cannot load '.*grey\.ts': .*grey\.ts:2:17: ERROR: /);
});

test('path params resolve against the YAML file\'s folder; --set paths against the working directory', async () => {
  const file = await yamlFile(`name: paths
operators:
  writer: { type: ImageWriterOp, params: { directory: ./shots } }
`);
  const { app } = await loadApp(file, { registry, logLevel: 'error' });
  assert.equal((app.operator('writer').params as { directory: string }).directory, join(dirname(file), 'shots'));
  const fromCli = await loadApp(file, { registry, set: ['writer.directory=elsewhere'], logLevel: 'error' });
  assert.equal((fromCli.app.operator('writer').params as { directory: string }).directory, resolve('elsewhere'));
  const absolute = await loadApp(file, { registry, set: ['writer.directory=/tmp/abs'], logLevel: 'error' });
  assert.equal((absolute.app.operator('writer').params as { directory: string }).directory, '/tmp/abs');
});
