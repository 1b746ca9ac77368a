#!/usr/bin/env -S node --initial-old-space-size=64
// The holots command. In the repository it runs the TypeScript sources (bin/main.ts) with no build step;
// the package ships no sources, only the compiled dist/bin/main.js that `npm run build` (prepack) makes.
// tsx is registered in both cases, for ES modules and CommonJS: users' own operators
// (`type: ./my-op.ts#MyOp`) load from TypeScript, as ES modules or, in a folder whose package.json does not
// say "type": "module", as CommonJS (their `import ... from 'holots'` then becomes a require of holots).
// Registering after the compiled package has loaded would start faster, but then tsx's CommonJS route sees
// no exports in a user's file (tried on Node 20.20): it is registered first.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { missingNodeFlags } from './node-flags.js';

// Started as `node bin/holots.js` (not through the shebang), the process lacks holots' Node flags: it
// replaces itself with one that has them, keeping its pid, so signals and `kill` reach the app as before.
// process.execve exists from Node 22.15 and 23.11, not on Windows; elsewhere the command runs on without them.
const missing = missingNodeFlags(process.execArgv);
if (missing.length > 0 && typeof process.execve === 'function' && process.platform !== 'win32') {
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)]);
}

const { register: registerEsm } = await import('tsx/esm/api');
const { register: registerCommonJs } = await import('tsx/cjs/api');
registerEsm();
registerCommonJs();
const source = new URL('./main.ts', import.meta.url);
const cli = await import(existsSync(source) ? source.href : '../dist/bin/main.js');
process.exitCode = await cli.runHolots(process.argv.slice(2));
