import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../framework/cli/main.ts';
import { builtinRegistry } from '../operators/index.ts';

// The one place where the framework's CLI meets the operators that ship with holots.
const root = fileURLToPath(new URL('..', import.meta.url));
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { version: string };
const code = await main(process.argv.slice(2), { registry: builtinRegistry(), version, schemaPath: `${root}schemas/app.schema.json` });
process.exitCode = code;
