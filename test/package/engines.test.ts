/**
 * The Node versions holots supports are stated in three places a user meets: package.json "engines" (npm
 * warns from it), the README's "Run it" heading and bin/setup-debian.sh's check. They must say the same:
 * Node 20.19+ or 22.12+, where require() of ES modules needs no flag (a user's CommonJS folder needs it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../../testkit/app-process.ts';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const setup = readFileSync(join(ROOT, 'bin/setup-debian.sh'), 'utf8');

/** Node releases and whether they run a user's CommonJS-folder operator (require(esm) without a flag). */
const RELEASES: [string, boolean][] = [
  ['18.20.4', false], ['20.0.0', false], ['20.18.3', false], ['20.19.0', true], ['20.20.2', true],
  ['21.7.3', false], ['22.0.0', false], ['22.11.0', false], ['22.12.0', true], ['23.0.0', true], ['24.4.1', true],
];

test('engines, the README and bin/setup-debian.sh name the same Node versions: 20.19+ or 22.12+', () => {
  assert.equal(pkg.engines.node, '^20.19.0 || >=22.12.0');
  assert.match(readme, /^## Run it \(.*Node\.js 20\.19\+ or 22\.12\+\)$/m);
  assert.match(setup, /holots needs Node\.js 20\.19\+ or 22\.12\+/);
});

test('bin/setup-debian.sh accepts exactly the releases engines allows', () => {
  const check = setup.match(/node -e '([^']+)'/)?.[1];
  assert.ok(check, 'the version check in bin/setup-debian.sh');
  const accepts = (version: string): boolean => {
    let code: number | undefined;
    new Function('process', check)({ versions: { node: version }, exit: (c: number) => { code = c; } });
    return code === 0;
  };
  for (const [version, supported] of RELEASES) assert.equal(accepts(version), supported, `Node ${version}`);
});
