/**
 * Every fenced code block in README.md and docs/*.md is a complete example, unless the line just before
 * its opening fence is `<!-- fragment -->`:
 *   - yaml with a top-level `name:` is loaded and validated as an app, and run when it is finite (every
 *     source has a `count` condition);
 *   - ts is type-checked with the project's compiler options and then run (imported);
 *   - sh/bash: each `holots ...` command names a real subcommand, and each --flag it passes is one that
 *     subcommand (with that app file, for `run`) lists in its --help;
 *   - mermaid, output listings (no language) and other languages are prose here.
 * The blocks are found anew on every run, so examples added later are covered too.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { availableParallelism } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadApp, normalizeFlow, type AppFile } from '../../framework/index.ts';
import { builtinRegistry } from '../../operators/index.ts';
import { ROOT } from '../../testkit/app-process.ts';
import { codeBlocks, type CodeBlock } from './code-blocks.ts';

const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = docs.flatMap((f) => codeBlocks(f, readFileSync(join(ROOT, f), 'utf8'))).filter((b) => !b.fragment);
const where = (b: CodeBlock) => `${b.file}:${b.line}`;

// Temporary files sit inside the repository so `holots`, `zod` and `./x.ts` resolve as they do for a user's app.
const tmp = mkdtempSync(join(ROOT, 'test/docs/.tmp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A block whose first line names its file (`// square.ts`, `# app.yaml`) is written under that name, beside
 * the other named blocks of its page, so an app finds the operator file it names (`./square.ts#SquareOp`).
 */
const namedFile = (b: CodeBlock) => /^(?:\/\/|#) ([\w.-]+\.(?:[cm]?[jt]s|ya?ml))\s*$/.exec(b.code.split('\n')[0])?.[1];
function exampleFile(b: CodeBlock, ext: string): string {
  const name = namedFile(b);
  if (!name) return join(tmp, `${b.file.replace(/\W/g, '_')}_${b.line}.${ext}`);
  const dir = join(tmp, b.file.replace(/\W/g, '_'));
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
for (const b of blocks) if (namedFile(b)) writeFileSync(exampleFile(b, ''), b.code);

test('the block finder sees fences, fragments and indented fences', () => {
  const found = codeBlocks('x.md', 'a\n```yaml\nname: a\n```\n<!-- fragment -->\n```ts\nlet x\n```\n1. step\n   ```sh\n   holots operators\n   ```\n');
  assert.deepEqual(found.map((b) => [b.lang, b.fragment, b.code]), [['yaml', false, 'name: a\n'], ['ts', true, 'let x\n'], ['sh', false, 'holots operators\n']]);
  assert.ok(blocks.length > 10, `only ${blocks.length} blocks found`);
});

describe('YAML apps in the docs load, validate, and the finite ones run', () => {
  const registry = builtinRegistry();
  const apps = blocks.filter((b) => (b.lang === 'yaml' || b.lang === 'yml'));
  test('every YAML block is a whole app (has a name) or is marked <!-- fragment -->', () => {
    const partial = apps.filter((b) => !/^name:/m.test(b.code)).map(where);
    assert.deepEqual(partial, [], 'YAML blocks without `name:`: make them whole or mark them <!-- fragment -->');
  });
  for (const b of apps.filter((a) => /^name:/m.test(a.code))) {
    test(`${where(b)}: loads${isFinite(parseYaml(b.code) as AppFile) ? ' and runs' : ''}`, async () => {
      const file = exampleFile(b, 'yaml');
      writeFileSync(file, b.code);
      const { app, spec } = await loadApp(file, { registry, logLevel: 'error' });
      if (isFinite(spec)) await app.run();
    });
  }
});

/** Every operator with no incoming flow has a count condition: the app ends by itself. */
function isFinite(spec: AppFile): boolean {
  const fed = new Set((spec.flows ?? []).map((f) => normalizeFlow(f).to));
  return Object.entries(spec.operators).every(([name, op]) => fed.has(name) || (op.conditions ?? []).some((c) => c.type === 'count'));
}

describe('TypeScript examples in the docs type-check and run', () => {
  const examples = blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript');
  const files = examples.map((b) => {
    const file = exampleFile(b, 'ts');
    writeFileSync(file, b.code);
    return { b, file };
  });
  test('they type-check with the project\'s compiler options', () => {
    const tsconfig = join(tmp, 'tsconfig.json');
        // The project's own declaration files (for untyped packages) come along; the examples are the only sources.
    writeFileSync(tsconfig, JSON.stringify({ extends: relative(tmp, join(ROOT, 'tsconfig.json')), include: [relative(tmp, join(ROOT, 'operators/**/*.d.ts'))], files: files.map((f) => f.file) }));
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { cwd: ROOT, encoding: 'utf8' });
    const named = r.stdout.replace(new RegExp(`${tmp}/|test/docs/\\.tmp-\\w+/`, 'g'), '').replace(/(\w+)_md_(\d+)\.ts\((\d+)/g, (_m, doc: string, line: string, l: string) => `${doc}.md block at line ${line} (line ${l} of the block`);
    assert.equal(r.status, 0, named);
  });
  for (const { b, file } of files) {
    test(`${where(b)} runs`, async () => {
      await import(file);
    });
  }
});

describe('holots commands in the docs name real subcommands and flags', () => {
  const SUBCOMMANDS = ['run', 'validate', 'graph', 'operators', 'schema'];
  const commands = blocks.filter((b) => ['sh', 'bash', 'shell', 'console'].includes(b.lang)).flatMap((b) =>
    b.code.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => /^(npx )?holots |^node bin\/holots\.js /.test(l)).map((l) => ({ b, line: l })));
  const wordsOf = (line: string) => line.replace(/^(npx )?holots |^node bin\/holots\.js /, '').split(/\s+/);
  /** What `holots <sub> [app] --help` is asked with: the example's app when it is in the repository, else a built-in one. */
  const helpArgs = (words: string[]): string[] => {
    const [sub, app] = words;
    if (!['run', 'validate', 'graph'].includes(sub)) return [sub];
    // An example's app file may be the user's own (app.yaml): the built-in flags are checked then.
    return [sub, app && existsSync(join(ROOT, app)) ? app : 'apps/ping/app.yaml'];
  };
  // Each distinct --help is one holots process; they start together, as many at once as there are cores
  // (each is mostly start-up), instead of one after the other.
  const helpCache = new Map<string, Promise<{ status: number | null; stdout: string; stderr: string }>>();
  before(async () => {
    const keys = [...new Set(commands.map(({ line }) => wordsOf(line)).filter((w) => SUBCOMMANDS.includes(w[0])).map((w) => helpArgs(w).join(' ')))];
    const queue = [...keys];
    const worker = async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        const asked = helpOf(key.split(' '));
        helpCache.set(key, asked);
        await asked;
      }
    };
    await Promise.all(Array.from({ length: Math.min(availableParallelism(), keys.length) }, worker));
  });
  test('there are holots commands to check', () => assert.ok(commands.length > 3));
  for (const { b, line } of commands) {
    test(`${where(b)}: ${line}`, async () => {
      const words = wordsOf(line);
      const sub = words[0];
      assert.ok(SUBCOMMANDS.includes(sub), `unknown subcommand '${sub}'`);
      const app = ['run', 'validate', 'graph'].includes(sub) ? words[1] : undefined;
      const key = helpArgs(words).join(' ');
      const r = await helpCache.get(key)!;
      assert.equal(r.status, 0, r.stderr);
      const help = r.stdout;
      const own = app && !existsSync(join(ROOT, app));
      for (const flag of words.filter((w) => w.startsWith('-'))) {
        const name = flag.split('=')[0];
        if (own && !['--set', '--track', '--validate-messages', '--log-level', '--help'].includes(name)) continue; // the user's app declares it
        assert.ok(new RegExp(`(^|[\\s,])${name.replace(/[-]/g, '\\-')}([\\s,]|$)`, 'm').test(help), `'${name}' is not a flag of holots ${key}:\n${help}`);
      }
    });
  }
});

/** `holots <args> --help`, as a user runs it (the real CLI in its own process). */
function helpOf(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/holots.js', ...args, '--help'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
