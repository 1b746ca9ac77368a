/**
 * The holots command's Node flags (bin/node-flags.js): one list, the same in the shebang, and applied
 * when the command is started as `node bin/holots.js` on a Node that can replace its process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { HOLOTS_NODE_FLAGS, missingNodeFlags } from '../../bin/node-flags.js';
import { ROOT } from '../../testkit/app-process.ts';

test('node flags: the shebang names the same flags as bin/node-flags.js', () => {
  const shebang = readFileSync(join(ROOT, 'bin/holots.js'), 'utf8').split('\n')[0];
  assert.equal(shebang, `#!/usr/bin/env -S node ${HOLOTS_NODE_FLAGS.join(' ')}`);
});

test('node flags: a flag the user set (any value) is not added again', () => {
  assert.deepEqual(missingNodeFlags([]), [...HOLOTS_NODE_FLAGS]);
  assert.deepEqual(missingNodeFlags(['--import', 'tsx', '--initial-old-space-size=256']), []);
});

test('node flags: `node bin/holots.js` runs with them where Node has process.execve (22.15+), in the same process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'holots-flags-'));
  try {
    // Runs in the process before and after it replaces itself: prints its pid and flags each time.
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, "process.stderr.write(`flags ${process.pid} ${JSON.stringify(process.execArgv)}\\n`);\n");
    const r = spawnSync(process.execPath, ['--import', probe, 'bin/holots.js', '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const seen = [...r.stderr.matchAll(/^flags (\d+) (.*)$/gm)].map((m) => ({ pid: Number(m[1]), flags: JSON.parse(m[2]) as string[] }));
    const last = seen.at(-1)!;
    if (typeof (process as { execve?: unknown }).execve === 'function') {
      assert.equal(seen.length, 2, r.stderr);
      assert.equal(seen[0].pid, last.pid, 'the same pid: signals still reach the app');
      for (const f of HOLOTS_NODE_FLAGS) assert.ok(last.flags.includes(f), `${f} in ${last.flags}`);
      assert.ok(last.flags.includes(probe), 'the user\'s own flags are kept');
    } else {
      assert.equal(seen.length, 1, 'older Nodes run on as started');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
