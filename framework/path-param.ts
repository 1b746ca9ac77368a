import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * A parameter that names a file or folder. Declaring it with `pathParam()` is how the framework knows
 * to resolve it: a relative path written in an app YAML file is relative to that file's folder (as
 * `./x.ts#Op` is); one given on the command line (`--set`, an app option) is relative to the working
 * directory, where the user typed it. Code that adds operators itself passes absolute paths or paths
 * relative to the working directory.
 */
export function pathParam(): z.ZodString {
  return z.string().min(1).meta({ format: 'path' });
}

/** True for a schema built by `pathParam()`, also when wrapped in `.optional()`, `.default()` or `.nullable()`. */
export function isPathParam(schema: z.ZodType): boolean {
  let s: z.ZodType | undefined = schema;
  while (s) {
    if (z.globalRegistry.get(s)?.format === 'path') return true;
    s = (s._zod.def as { innerType?: z.ZodType }).innerType;
  }
  return false;
}

/** The top-level params of an operator's schema that are paths. */
export function pathParamNames(params: z.ZodType): string[] {
  const shape = (params as { shape?: Record<string, z.ZodType> }).shape;
  return shape ? Object.keys(shape).filter((k) => isPathParam(shape[k])) : [];
}

/** `value` resolved against `base` when it is a relative path string; anything else unchanged (the schema judges it). */
export function resolvePathValue(value: unknown, base: string): unknown {
  return typeof value === 'string' && value !== '' && !isAbsolute(value) ? resolve(base, value) : value;
}
