import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, map, toArray } from 'rxjs';
import { AppFileError, loadApp } from '../../framework/index.ts';
import { toMermaid } from '../../framework/cli/mermaid.ts';
import { builtinRegistry } from '../../operators/index.ts';

const registry = builtinRegistry();
const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = fileURLToPath(new URL('./fixtures/subgraph/', import.meta.url));

// Temporary app files live beside the subgraph so `./sum-twice.yaml` resolves.
const temps: string[] = [];
after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));
async function appFile(text: string, name = 'app.yaml'): Promise<string> {
  const d = await mkdtemp(join(dir, '.tmp-'));
  temps.push(d);
  const file = join(d, name);
  await writeFile(file, text);
  return file;
}
async function loadError(file: string): Promise<AppFileError> {
  const err = await loadApp(file, { registry, logLevel: 'error' }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof AppFileError, `expected an AppFileError, got ${String(err)}`);
  return err;
}

test('a subgraph used twice: flattened with prefixed names, its params passed in or defaulted, and it runs', async () => {
  const { app, subgraphs } = await loadApp(join(dir, 'app.yaml'), { registry, logLevel: 'error' });
  assert.deepEqual(app.operatorNames(), ['count', 'sums.first', 'sums.second', 'plain.first', 'plain.second']);
  assert.deepEqual(app.operator('sums.first').params, { size: 3 }, 'size: 3 passed in');
  assert.deepEqual(app.operator('plain.first').params, { size: 2 }, 'the declared default');
  const sums = firstValueFrom(app.output('sums.second.out').pipe(map((m) => m.value), toArray()));
  const plain = firstValueFrom(app.output('plain.second.out').pipe(map((m) => m.value), toArray()));
  await app.run();
  // 1..12 summed by 3 (6, 15, 24, 33), then by 2: 21, 57; the second copy sums those by 2 twice: 78.
  assert.deepEqual(await sums, [21, 57]);
  assert.deepEqual(await plain, [78]);

  const chart = toMermaid(app, subgraphs);
  assert.match(chart, /subgraph sums\["sums<br\/>\.\/sum-twice\.yaml"\]\n\s+sums__first\["first<br\/>SumEvery"\]\n\s+sums__second\["second<br\/>SumEvery"\]\n\s+end/);
  assert.match(chart, /count -->\|out → in\| sums__first/);
  assert.match(chart, /sums__second -->\|out → in\| plain__first/);
});

test('holots validate and graph work on a subgraph file and on an app using it', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['bin/holots.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const alone = cli('validate', join(dir, 'sum-twice.yaml'));
  assert.equal(alone.status, 0, alone.stderr);
  assert.match(alone.stdout, /ok \(2 operators, 1 flows\)/);
  const graph = cli('graph', join(dir, 'app.yaml'));
  assert.equal(graph.status, 0, graph.stderr);
  assert.match(graph.stdout, /subgraph plain\["plain<br\/>\.\/sum-twice\.yaml"\]/);
});

test('a bad param passed to a subgraph is blamed on the line that passes it', async () => {
  const file = await appFile(`name: bad_param
operators:
  count: { type: ../../rx-ops.ts#Count, params: { count: 3 } }
  sums:
    type: ../sum-twice.yaml
    params:
      size: 0
flows:
  - count.out -> sums.in
`);
  const err = await loadError(file);
  assert.equal(err.file, file);
  assert.equal(err.line, 7);
  assert.match(err.message, /subgraph sum_twice \(.*sum-twice\.yaml\): params\.size: .*>=\s*1/);

  const unknown = await loadError(await appFile(`name: unknown_param
operators:
  sums: { type: ../sum-twice.yaml, params: { sise: 3 } }
`));
  assert.equal(unknown.line, 3);
  assert.match(unknown.message, /params\.sise: unknown parameter \(sum_twice takes: size\)/);
});

test('errors inside a subgraph name the subgraph file and line; a missing interface port names the flow', async () => {
  const sub = await appFile(`name: broken
params:
  size: { type: integer, default: 2 }
inputs: { in: first.in }
outputs: { out: first.out }
operators:
  first: { type: ../../rx-ops.ts#SumEvery, params: { size: $sise } }
`, 'broken.yaml');
  const err = await loadError(await appFile(`name: uses_broken
operators:
  b: { type: ${JSON.stringify(sub)} }
`));
  assert.ok(err.file.endsWith('broken.yaml'), err.file);
  assert.equal(err.line, 7);
  assert.match(err.message, /operators\.first\.params\.size: \$sise names no declared parameter \(this file declares: size\)/);

  const noPort = await loadError(await appFile(`name: no_port
operators:
  count: { type: ../../rx-ops.ts#Count, params: { count: 3 } }
  sums: { type: ../sum-twice.yaml }
flows:
  - count.out -> sums.input
`));
  assert.equal(noPort.line, 6);
  assert.match(noPort.message, /flows\[0\]: subgraph 'sums' has no input port 'input'; it has: in/);
});

test('$param works in conditions too, checked once substituted; a subgraph file run alone takes --set name=value', async () => {
  const sub = await appFile(`name: limited
params:
  takes: { type: number, default: 4 }
  rate: { type: string, default: 500Hz }
inputs: { in: first.in }
outputs: { out: first.out }
operators:
  first:
    type: ../../rx-ops.ts#SumEvery
    params: { size: 2 }
    conditions: [{ type: count, count: $takes }, { type: periodic, period: $rate }]
`, 'limited.yaml');
  const { app } = await loadApp(await appFile(`name: uses_limited
operators:
  count: { type: ../../rx-ops.ts#Count, params: { count: 12 } }
  lim: { type: ${JSON.stringify(sub)}, params: { takes: 5 } }
flows:
  - { from: count.out, to: lim.in, capacity: 16 }
`), { registry, logLevel: 'error' });
  const sums = firstValueFrom(app.output('lim.first.out').pipe(map((m) => m.value), toArray()));
  await app.run();
  // Five computes take 1..5; SumEvery(2) emits 1+2, 3+4, and flushes the partial 5 at its end of stream.
  assert.deepEqual(await sums, [3, 7, 5]);

  // A value of the wrong type for the condition is caught after substitution, on the operator's line.
  const bad = await loadError(await appFile(`name: bad_condition
operators:
  lim: { type: ${JSON.stringify(sub)}, params: { takes: 2.5 } }
`));
  assert.ok(bad.file.endsWith('limited.yaml'), bad.file);
  assert.equal(bad.line, 11);
  assert.match(bad.message, /operator 'lim\.first' \(SumEvery\): conditions\[0\]\.count: .*expected int/);

  // Run alone: the declared default, or --set name=value (checked against the declaration).
  const alone = await loadApp(join(dir, 'sum-twice.yaml'), { registry, logLevel: 'error', set: ['size=5'] });
  assert.deepEqual(alone.app.operator('first').params, { size: 5 });
  const low = await loadApp(join(dir, 'sum-twice.yaml'), { registry, set: ['size=0'] }).then(() => null, (e: unknown) => e);
  assert.ok(low instanceof AppFileError);
  assert.match(low.message, /--set size=0: subgraph sum_twice \(.*\): params\.size: .*>=\s*1/);
  const unknown = await loadApp(join(dir, 'sum-twice.yaml'), { registry, set: ['sise=5'] }).then(() => null, (e: unknown) => e);
  assert.match(String(unknown), /--set sise=5: 'sise' is not a parameter of sum_twice \(its params: size\)/);
});
