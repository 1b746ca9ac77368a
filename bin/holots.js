#!/usr/bin/env node
// The holots command. In the repository it runs the TypeScript sources (bin/main.ts) with no build step;
// the package ships no sources, only the compiled dist/bin/main.js that `npm run build` (prepack) makes.
// tsx is registered in both cases, for ES modules and CommonJS: users' own operators
// (`type: ./my-op.ts#MyOp`) load from TypeScript, as ES modules or, in a folder whose package.json does not
// say "type": "module", as CommonJS (their `import ... from 'holots'` then becomes a require of holots).
// Registering after the compiled package has loaded would start faster, but then tsx's CommonJS route sees
// no exports in a user's file (tried on Node 20.20): it is registered first.
import { existsSync } from 'node:fs';
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerEsm();
registerCommonJs();
const source = new URL('./main.ts', import.meta.url);
const cli = await import(existsSync(source) ? source.href : '../dist/bin/main.js');
process.exitCode = await cli.runHolots(process.argv.slice(2));
