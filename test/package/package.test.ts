/**
 * holots as a user meets it: `npm pack` (which builds dist/), `npm install` of the tarball into an empty
 * folder outside the repository, then the README's "Use holots in your own project" example run there as
 * written (its package.json, a TypeScript operator beside app.yaml, `holots run app.yaml`, a plain .mjs),
 * on the Node that runs this suite and with no tsx of the test's own. npm's cache (filled by `npm ci`)
 * serves the install; the registry is asked only for what the cache lacks.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../testkit/app-process.ts';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface PackedFile { path: string; size: number }
interface Packed { filename: string; size: number; unpackedSize: number; files: PackedFile[] }

let dir = '';
let packed: Packed;
let example: Map<string, string>;

/** The README section's code blocks: the json block is package.json; the others name their file on their first line. */
async function readmeExample(): Promise<Map<string, string>> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Use holots in your own project');
  assert.ok(start >= 0, 'README.md has a "Use holots in your own project" section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const files = new Map<string, string>();
  for (const [, lang, body] of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    if (lang === 'json') files.set('package.json', body);
    const name = /^(?:\/\/|#) ([\w.-]+\.(?:ts|yaml|mjs))\b/.exec(body)?.[1];
    if (name) files.set(name, body);
  }
  return files;
}

/** A plain child process: this suite's Node, without the tsx the suite itself runs under. */
function node(args: string[], cwd: string) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return run(process.execPath, args, { cwd, env, timeout: 120_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }),
  );
}

/** The installed command, as `npx holots` finds it (node_modules/.bin/holots links to the package's bin). */
function holots(cwd: string, ...args: string[]) {
  return node([join(dir, 'node_modules', '.bin', 'holots'), ...args], cwd);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holots-package-'));
  example = await readmeExample();
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, timeout: 300_000, maxBuffer: 16 << 20 });
  packed = (JSON.parse(stdout) as Packed[])[0];
  for (const [name, text] of example) await writeFile(join(dir, name), text);
  await run(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', `./${packed.filename}`], { cwd: dir, timeout: 300_000, maxBuffer: 16 << 20 });
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the tarball holds compiled JavaScript, declarations, the bin, the schema and the seed app; no sources, tests or benchmarks', () => {
  const paths = packed.files.map((f) => f.path);
  for (const p of ['bin/holots.js', 'dist/bin/main.js', 'dist/framework/index.js', 'dist/framework/index.d.ts', 'dist/operators/index.js',
    'dist/operators/index.d.ts', 'dist/operators/messages/index.js', 'dist/operators/messages/index.d.ts', 'schemas/app.schema.json',
    'apps/webrtc_video_client/app.yaml', 'apps/webrtc_video_client/client/index.html', 'package.json', 'README.md']) {
    assert.ok(paths.includes(p), `the tarball has ${p}`);
  }
  const unwanted = paths.filter((p) => /^(test|bench|docs|\.ci)\//.test(p) || (/\.[cm]?ts$/.test(p) && !/\.d\.[cm]?ts$/.test(p)) || /tsconfig/.test(p));
  assert.deepEqual(unwanted, [], 'no TypeScript sources, tests, benchmarks or build config in the tarball');
  // What a user downloads: the compiled code is a few hundred kB (the dependencies are the bulk of an install).
  assert.ok(packed.unpackedSize < 2_000_000, `unpacked size ${packed.unpackedSize} bytes`);
});

// Each test has its own folder or file: they run side by side (the machine's cores, not the test, set the pace).
describe('the installed package', { concurrency: true }, () => {
  test('holots run app.yaml runs the README example with its TypeScript operator, and ends by itself', async () => {
    assert.ok(example.has('square.ts') && example.has('app.yaml'), `README example files: ${[...example.keys()].join(', ')}`);
    const r = await holots(dir, 'run', 'app.yaml');
    assert.equal(r.code, 0, r.stderr);
    const received = [...r.stderr.matchAll(/print: received (\d+) \(/g)].map((m) => Number(m[1]));
    assert.deepEqual(received, [1, 4, 9, 16, 25], r.stderr);
  });

  test('a plain .mjs imports holots, holots/messages and holots/operators without tsx', async () => {
    // One process: the README's sum.mjs, then a look at each entry point's exports.
    await writeFile(join(dir, 'api.mjs'), [
      "await import('./sum.mjs');",
      "const holots = await import('holots');",
      "const { VideoFrame, EncodedFrame } = await import('holots/messages');",
      "const { builtinRegistry } = await import('holots/operators');",
      "console.log(JSON.stringify({ api: ['Application', 'defineOperator', 'port', 'loadApp', 'z'].filter((k) => k in holots),",
      "  messages: [VideoFrame.name, EncodedFrame.name], operators: builtinRegistry().names() }));",
    ].join('\n'));
    const r = await node(['api.mjs'], dir);
    assert.equal(r.code, 0, r.stderr);
    const [sum, json] = r.stdout.trim().split('\n');
    assert.equal(sum, 'sum of 1..4 = 10');
    const seen = JSON.parse(json) as { api: string[]; messages: string[]; operators: string[] };
    assert.deepEqual(seen.api, ['Application', 'defineOperator', 'port', 'loadApp', 'z']);
    assert.ok(seen.messages.every((n) => typeof n === 'string' && n.length > 0), r.stdout);
    for (const op of ['HolovizOp', 'WebRTCClientOp', 'WebServerOp', 'PingTxOp']) assert.ok(seen.operators.includes(op), r.stdout);
  });

  test('an operator in a CommonJS folder (npm init -y writes "type": "commonjs") loads too; the seed app validates from the package', async () => {
    const cjs = join(dir, 'cjs');
    await mkdir(cjs);
    await writeFile(join(cjs, 'package.json'), JSON.stringify({ name: 'cjs-app', type: 'commonjs' }));
    await cp(join(dir, 'square.ts'), join(cjs, 'square.ts'));
    await cp(join(dir, 'app.yaml'), join(cjs, 'app.yaml'));
    const r = await holots(cjs, 'run', 'app.yaml');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /print: received 25 \(5 so far\)/);
    const seed = await holots(dir, 'validate', 'node_modules/holots/apps/webrtc_video_client/app.yaml');
    assert.equal(seed.code, 0, seed.stderr);
    assert.match(seed.stdout, /ok \(5 operators/);
  });

  test("an operator in a folder where holots is not installed gets holots's advice, not Node's error", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'holots-elsewhere-'));
    try {
      await writeFile(join(elsewhere, 'package.json'), JSON.stringify({ type: 'module' }));
      await cp(join(dir, 'square.ts'), join(elsewhere, 'square.ts'));
      await cp(join(dir, 'app.yaml'), join(elsewhere, 'app.yaml'));
      const r = await holots(elsewhere, 'run', 'app.yaml');
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr.split('\n')[0], /^holots: app\.yaml:\d+: operators\.square\.type: cannot load '.*square\.ts': it imports 'holots', which is not installed for .*: run npm i holots there/);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
