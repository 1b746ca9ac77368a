import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../framework/cli/main.ts';
// builtins.ts, not operators/index.ts: the latter imports every operator, which the CLI loads only on demand.
import { builtinRegistry } from '../operators/builtins.ts';

/** The one place where the framework's CLI meets the operators that ship with holots. Returns the exit code. */
export function runHolots(argv: string[]): Promise<number> {
  // The package's own root: the repository, or node_modules/holots (where this file is compiled into dist/bin/).
  const root = fileURLToPath(new URL('.', import.meta.resolve('holots/package.json')));
  const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
  return main(argv, { registry: builtinRegistry(), version, schemaPath: `${root}schemas/app.schema.json` });
}
