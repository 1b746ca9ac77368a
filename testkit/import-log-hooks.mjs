// Module hooks for import-log.mjs; they run on Node's hooks thread, which shares the process's environment.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (process.env.HOLOTS_IMPORT_LOG) appendFileSync(process.env.HOLOTS_IMPORT_LOG, `${resolved.url}\n`);
  return resolved;
}
