import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { renderTestPattern, TestPatternParams } from '../../operators/video/test-pattern.ts';
import { encodePng } from '../../operators/video/image-writer.ts';
import { ROOT } from '../../testkit/app-process.ts';

/**
 * The guide's "Worker threads" examples, run as written: each code block names its file on its first
 * line (`// blur.ts`, `# blur-app.yaml`); they are written to a folder inside the repository (so
 * `holots` resolves to this package) and run as a user would.
 */
function guideFiles(): Map<string, string> {
  const guide = readFileSync(join(ROOT, 'docs/guide.md'), 'utf8');
  const start = guide.indexOf('## Worker threads');
  const section = guide.slice(start, guide.indexOf('\n## ', start + 1));
  const files = new Map<string, string>();
  for (const m of section.matchAll(/```(?:ts|yaml)\n((?:\/\/|#) ([\w.-]+)\n[\s\S]*?)```/g)) files.set(m[2], m[1]);
  return files;
}

test('guide, Worker threads: the TS app and the YAML app run as written; PNGs come out blurred', () => {
  const files = guideFiles();
  assert.deepEqual([...files.keys()].sort(), ['blur-app.ts', 'blur-app.yaml', 'blur.ts']);
  const dir = mkdtempSync(join(fileURLToPath(new URL('./fixtures/', import.meta.url)), '.tmp-guide-'));
  try {
    for (const [name, text] of files) writeFileSync(join(dir, name), text);
    const ts = spawnSync(process.execPath, ['--import', 'tsx', 'blur-app.ts'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    assert.equal(ts.status, 0, ts.stderr);
    assert.match(ts.stderr, /30 blurred frames, in order/);

    const yaml = spawnSync(process.execPath, [join(ROOT, 'bin/holots.js'), 'run', 'blur-app.yaml'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
    assert.equal(yaml.status, 0, yaml.stderr);
    const pngs = readdirSync(join(dir, 'blurred')).filter((f) => f.endsWith('.png')).sort();
    assert.equal(pngs.length, 30, 'one instance wrote every frame, numbered in order');
    // Colour bars: the source jumps from bar to bar in one pixel; the blurred picture ramps over five.
    const maxStep = (png: PNG) => {
      const row = (png.height >> 1) * png.width * 4;
      let m = 0;
      for (let x = 1; x < png.width; x++) m = Math.max(m, Math.abs(png.data[row + x * 4 + 1] - png.data[row + (x - 1) * 4 + 1]));
      return m;
    };
    const blurred = PNG.sync.read(readFileSync(join(dir, 'blurred', pngs[0])));
    const sharp = PNG.sync.read(encodePng(renderTestPattern(TestPatternParams.parse({ width: 320, height: 240 }), 0)));
    assert.equal(blurred.width, 320);
    assert.ok(maxStep(sharp) > 100, `the source bars have sharp edges (${maxStep(sharp)})`);
    assert.ok(maxStep(blurred) < maxStep(sharp) / 3, `blurred edges ramp (${maxStep(blurred)} vs ${maxStep(sharp)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
