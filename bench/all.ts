/**
 * `npm run bench`: runs every benchmark, one after another in its own process (so one bench's garbage
 * and JIT state don't colour the next), then rewrites the generated blocks of docs/benchmarks.md from
 * bench/results/<name>.md, and the machine, date and command block. Prose around the blocks stays.
 *
 * Usage: node --import tsx bench/all.ts [--paste] [name ...]   (default: every bench in BENCHES but soak)
 *   --paste: run nothing; paste the existing bench/results/<name>.md into docs/benchmarks.md
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const BENCHES = ['framework', 'holoviz', 'webrtc', 'decoder', 'receive-path', 'seed', 'fragments', 'webrtc-out', 'soak', 'replay', 'recording', 'scale'] as const;
const DOC = `${root}docs/benchmarks.md`;

const paste = process.argv.includes('--paste');
const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const wanted = names.length ? names : [...BENCHES].filter((b) => b !== 'soak');
const failed: string[] = [];
for (const name of paste ? [] : wanted) {
  const file = `${root}bench/${name}.bench.ts`;
  if (!existsSync(file)) {
    console.error(`bench: no ${file}`);
    failed.push(name);
    continue;
  }
  console.log(`\n=== bench:${name}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed.push(name);
}

let doc = readFileSync(DOC, 'utf8');
if (!paste) doc = replaceBlock(doc, 'machine', `Measured on ${describeMachine()}, ${new Date().toISOString().slice(0, 10)}, with \`npm run bench\` (\`node --import tsx bench/all.ts\`).`);
for (const name of wanted) {
  const md = `${root}bench/results/${name}.md`;
  if (existsSync(md) && !failed.includes(name)) doc = replaceBlock(doc, name, readFileSync(md, 'utf8').trimEnd());
}
writeFileSync(DOC, doc);
console.log(`\nupdated ${DOC}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exitCode = failed.length ? 1 : 0;

function replaceBlock(text: string, name: string, body: string): string {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) {
    console.error(`bench: docs/benchmarks.md has no ${start} ... ${end} block; appending one`);
    return `${text.trimEnd()}\n\n${start}\n${body}\n${end}\n`;
  }
  return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}
