import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './machine.ts';

const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/**
 * Writes bench/results/<name>.json with the machine and the time of the run. Written to a .tmp file
 * first and renamed, so an interrupted bench never leaves half a JSON file behind.
 */
export function writeResults(name: string, data: unknown): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) throw new Error(`bench result name '${name}' must be lowercase letters, digits, - or _`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  const body = { bench: name, date: new Date().toISOString(), machine: machineInfo(), results: data };
  writeFileSync(`${file}.tmp`, JSON.stringify(body, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
  return file;
}

/**
 * Writes bench/results/<name>.md: the tables as markdown. `npm run bench` (bench/all.ts) pastes it into
 * docs/benchmarks.md between `<!-- bench:<name> -->` and `<!-- /bench:<name> -->`.
 */
export function writeMarkdown(name: string, markdown: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.md`);
  writeFileSync(file, markdown.trimEnd() + '\n');
  return file;
}
