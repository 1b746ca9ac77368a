/**
 * A user's operator file outside the repository that cannot load for a reason fixed in the user's project
 * (a package not installed for its folder, CommonJS where that cannot work): holots's error says what to do,
 * instead of Node's words. Real files in a temporary folder, loaded as `holots run` loads them (this suite
 * runs under tsx, as bin/holots.js registers it: ES modules and CommonJS). The operator that imports a
 * holots not installed for its folder is in test/package (here tsx maps 'holots' to the sources).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadApp, OperatorRegistry } from '../../framework/index.ts';

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holots-import-advice-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A folder with a package.json, an operator file and an app naming it; returns loadApp's error message. */
async function loadError(folder: string, packageJson: object, operator: string): Promise<string> {
  const at = join(dir, folder);
  await mkdir(at);
  await writeFile(join(at, 'package.json'), JSON.stringify(packageJson));
  await writeFile(join(at, 'op.ts'), operator);
  await writeFile(join(at, 'app.yaml'), 'name: advice\noperators:\n  op: { type: ./op.ts#Op }\nflows: []\n');
  const error = await loadApp(join(at, 'app.yaml'), { registry: new OperatorRegistry(), logLevel: 'error' }).then(() => null, (e: Error) => e);
  assert.ok(error, 'the app must not load');
  return error.message;
}

test("an operator importing 'zod' where no zod is installed is told to import z from 'holots'", async () => {
  const message = await loadError('zod', { type: 'module' }, "import { z } from 'zod';\nexport const Op = z;\n");
  assert.match(message, /app\.yaml:3: operators\.op\.type: cannot load '.*op\.ts': it imports 'zod', which is not installed for .*: import \{ z \} from 'holots' instead/);
});

test('an operator that loads as CommonJS where that cannot work is told to say "type": "module"', async () => {
  const message = await loadError('cjs-await', { type: 'commonjs' }, 'await Promise.resolve();\nexport const Op = 1;\n');
  assert.match(message, /it loads as CommonJS \(.*cjs-await\/package\.json does not say "type": "module"\), where top-level await cannot work: add "type": "module" to .*cjs-await\/package\.json, or rename the file to \.mts/);
});
