import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * What to do when a user's operator file (`type: ./my-op.ts#MyOp`) fails to import for a reason the user
 * fixes in their project rather than in the file: a package it imports is not installed where Node looks,
 * or the file loads as CommonJS where that cannot work. Node's own words for these
 * (`Cannot find package 'zod'`, `Cannot require() ES Module ... in a cycle`) do not say what to do.
 * Undefined for any other failure (a syntax error, an exception at the file's top level).
 */
export function operatorImportAdvice(error: unknown, modulePath: string): string | undefined {
  const e = error as NodeJS.ErrnoException;
  const message = e instanceof Error ? e.message : String(error);
  const folder = dirname(modulePath);
  const missing = missingPackage(e, message);
  if (missing === 'zod') {
    return `it imports 'zod', which is not installed for ${folder}: import { z } from 'holots' instead (holots re-exports the zod it validates with), or run npm i zod there`;
  }
  if (missing === 'holots') {
    return `it imports 'holots', which is not installed for ${folder}: run npm i holots there (or in a folder above it), so the operator finds the holots that runs it`;
  }
  if (missing) return `it imports '${missing}', which is not installed for ${folder}: run npm i ${missing} there (or in a folder above it)`;
  const commonJsProblem = loadedAsCommonJsProblem(e, message);
  if (commonJsProblem) {
    const pkg = nearestPackageJson(folder);
    if (pkg?.type === 'module' && !/\.c[jt]s$/.test(modulePath)) return undefined;
    const why = pkg ? `${pkg.path} does not say "type": "module"` : 'no package.json above it says "type": "module"';
    const fix = pkg ? `add "type": "module" to ${pkg.path}` : `create ${join(folder, 'package.json')} with {"type": "module"}`;
    return `it loads as CommonJS (${why}), ${commonJsProblem}: ${fix}, or rename the file to .mts`;
  }
  return undefined;
}

/** The bare package name from Node's not-found errors (ESM: `Cannot find package 'x'`; CommonJS: `Cannot find module 'x'`). */
function missingPackage(e: NodeJS.ErrnoException, message: string): string | undefined {
  if (e.code !== 'ERR_MODULE_NOT_FOUND' && e.code !== 'MODULE_NOT_FOUND') return undefined;
  const name = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  if (!name || name.startsWith('.') || name.startsWith('/') || name.startsWith('file:')) return undefined;
  const parts = name.split('/');
  return name.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Node's errors for a CommonJS module that requires an ES module it cannot (older Node) or may not (a cycle, top-level await). */
const COMMONJS_FAILURES = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_CYCLE_MODULE', 'ERR_REQUIRE_ASYNC_MODULE']);

/** Why loading as CommonJS failed, when that is what failed. */
function loadedAsCommonJsProblem(e: NodeJS.ErrnoException, message: string): string | undefined {
  // esbuild (through tsx) refuses top-level await when it compiles a file to CommonJS.
  if (/Top-level await is currently not supported with the "cjs" output format/.test(message)) return 'where top-level await cannot work';
  if (COMMONJS_FAILURES.has(e.code ?? '')) return `and it cannot require() the ES modules it imports (${e.code}: ${message.split('\n')[0]})`;
  return undefined;
}

/** The package.json that decides how Node loads files in `folder`, with its "type". */
function nearestPackageJson(folder: string): { path: string; type: unknown } | undefined {
  for (let dir = folder; ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      let type: unknown;
      try {
        type = (JSON.parse(readFileSync(path, 'utf8')) as { type?: unknown }).type;
      } catch {
        // An unreadable package.json decides nothing here; Node reports it on its own.
      }
      return { path, type };
    }
    if (dirname(dir) === dir) return undefined;
  }
}
