import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appJsonSchema } from '../../framework/index.ts';
import { builtinRegistry } from '../../operators/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

function holots(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/holots.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs holots with Node's module hooks logging each module it imports; returns the operator files among them. */
function operatorsImportedBy(...args: string[]) {
  const log = join(mkdtempSync(join(tmpdir(), 'holots-imports-')), 'imports.txt');
  const r = spawnSync(process.execPath, ['--import', './testkit/import-log.mjs', 'bin/holots.js', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOLOTS_IMPORT_LOG: log } });
  const urls = new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean));
  rmSync(dirname(log), { recursive: true, force: true });
  assert.ok([...urls].some((u) => u.endsWith('/framework/cli/main.ts') || u.endsWith('/framework/cli/main.js')), 'the import log saw the CLI load');
  const operators = [...urls].filter((u) => /\/operators\/(?!builtins\.|messages\/)/.test(u)).map((u) => u.slice(u.indexOf('/operators/') + 1)).sort();
  return { code: r.status, err: r.stderr, operators };
}

test('holots run apps/ping/app.yaml exits 0 after 10 messages, importing only the two operators it names', () => {
  const r = operatorsImportedBy('run', 'apps/ping/app.yaml');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /received 10 \(10 so far\)/);
  assert.match(r.err, /received 10 messages/);
  assert.deepEqual(r.operators, ['operators/ping/ping-rx.ts', 'operators/ping/ping-tx.ts']);
});

test('--version imports no operator', () => {
  const r = operatorsImportedBy('--version');
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.operators, []);
});

test('--track prints the per-path latency table', () => {
  const r = holots('run', 'apps/ping/app.yaml', '--track', '--log-level', 'warn');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /tx -> rx\s+10\s/);
});

test('validate exits 2 on a bad field and names it; 0 on a good file', () => {
  const bad = holots('validate', `${fixtures}bad-param.yaml`);
  assert.equal(bad.code, 2);
  const first = bad.err.split('\n')[0];
  assert.match(first, /bad-param\.yaml:3: operator 'tx' \(PingTxOp\): params\.start: .*expected number/);
  const good = holots('validate', 'apps/ping/app.yaml');
  assert.equal(good.code, 0, good.err);
});

test('graph prints a mermaid flowchart', () => {
  const r = holots('graph', `${fixtures}custom.yaml`);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.split('\n')[0], 'flowchart LR');
  assert.match(r.out, /tx -->\|out → in\| scale/);
  assert.match(r.out, /scale\["scale<br\/>ScaleOp"\]/);
});

test('operators lists PingTxOp and PingRxOp with ports and params', () => {
  const r = holots('operators');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /PingTxOp — emits 1, 2, 3/);
  assert.match(r.out, /outputs: out: number/);
  assert.match(r.out, /PingRxOp/);
  const json = JSON.parse(holots('operators', '--json').out) as { name: string }[];
  assert.ok(json.some((o) => o.name === 'PingTxOp'));
});

test('a custom TypeScript operator beside the YAML runs through holots run', () => {
  const r = holots('run', `${fixtures}custom.yaml`, '--set', 'rx.quiet=false');
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /received 30 \(3 so far\)/);
});

test('usage errors exit 2 with one clear line; runtime failures exit 1 naming the operator', () => {
  const unknown = holots('frobnicate');
  assert.equal(unknown.code, 2);
  assert.match(unknown.err.split('\n')[0], /^holots: Unknown command: frobnicate/);
  const opt = holots('run', 'apps/ping/app.yaml', '--bogus-option', '1');
  assert.equal(opt.code, 2);
  assert.match(opt.err, /unknown option --bogus-option/);
  const fail = holots('run', `${fixtures}failing.yaml`);
  assert.equal(fail.code, 1);
  assert.match(fail.err.split('\n')[0], /^holots: operator 'boom' \(FailingOp\) failed in compute: failing on purpose at 3/);
});

test('run app.yaml --help lists the options the app declares', () => {
  const help = holots('run', 'apps/webrtc_video_client/app.yaml', '--help');
  assert.equal(help.code, 0, help.err);
  for (const flag of ['--port', '--cert-file', '--key-file', '--host', '--verbose']) assert.match(help.out, new RegExp(`${flag}\\b`), `${flag} in:\n${help.out}`);
  assert.match(help.out, /Options of apps\/webrtc_video_client\/app\.yaml/);
  assert.match(help.out, /sets web_server\.port/);
});

test('a port in use prints its one clear line, no stack trace, and exits 1', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
  const { port } = taken.address() as AddressInfo;
  try {
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn(process.execPath, ['bin/holots.js', 'run', `${fixtures}web-server-only.yaml`, '--set', `web_server.port=${port}`], { cwd: root });
      let err = '';
      p.stderr.on('data', (d) => { err += d; });
      p.on('exit', (code) => resolve({ code, err }));
    });
    assert.equal(r.code, 1, r.err);
    const lines = r.err.trim().split('\n').filter((l) => l.startsWith('holots:') || /^\s+at /.test(l));
    assert.deepEqual(lines, [`holots: operator 'web_server' (WebServerOp) failed in start: port ${port} on 127.0.0.1 is already in use (pick another with port, or 0 for any free one)`], r.err);
  } finally {
    taken.close();
  }
});

test('--help and --version answer', () => {
  const help = holots('--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /holots run <app>/);
  const version = holots('--version');
  assert.equal(version.out.trim(), JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version);
});

test('schemas/app.schema.json is generated from the current definitions (fails when stale)', async () => {
  const onDisk = readFileSync(`${root}schemas/app.schema.json`, 'utf8');
  const fresh = JSON.stringify(await appJsonSchema(builtinRegistry()), null, 2) + '\n';
  assert.equal(onDisk, fresh, 'schemas/app.schema.json is stale: run `npm run docs`');
});

test('SIGINT stops a running app gracefully: stop() runs and the exit code is 0', async () => {
  const child = spawn(process.execPath, ['bin/holots.js', 'run', `${fixtures}forever.yaml`], { cwd: root });
  let err = '';
  let sent = false; // a second SIGINT means "exit now", so send exactly one
  child.stderr.on('data', (d) => { err += d; if (!sent && /received 3 \(/.test(err)) { sent = true; child.kill('SIGINT'); } });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 0, err);
  assert.match(err, /SIGINT: stopping/);
  assert.match(err, /received \d+ messages/);
});

test('docs/operators.md is generated from the current registry (fails when stale)', () => {
  const onDisk = readFileSync(`${root}docs/operators.md`, 'utf8');
  assert.equal(onDisk, holots('operators', '--markdown').out, 'docs/operators.md is stale: run `npm run docs`');
});
