import { z } from 'zod';

/**
 * A parameter a graph file declares (a subgraph's knobs): its type, default and bounds. The loader
 * builds a zod schema from these, so values passed in are validated like an operator's params.
 */
export const GraphParam = z.object({
  type: z.enum(['string', 'number', 'integer', 'boolean']).describe('the value type'),
  default: z.union([z.string(), z.number(), z.boolean()]).optional().describe('the value when the user passes none; without it the parameter is required'),
  description: z.string().optional(),
  minimum: z.number().optional(),
  maximum: z.number().optional(),
  enum: z.array(z.union([z.string(), z.number()])).min(1).optional().describe('the allowed values'),
}).strict();
export type GraphParam = z.infer<typeof GraphParam>;

/** The zod schema of a graph's declared params; `defaults: false` leaves defaults out (to check them). */
export function graphParamsSchema(declared: Record<string, GraphParam>): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, p] of Object.entries(declared)) {
    let t: z.ZodType;
    if (p.enum) t = z.union(p.enum.map((v) => z.literal(v)) as unknown as [z.ZodLiteral, z.ZodLiteral]);
    else if (p.type === 'string') t = z.string();
    else if (p.type === 'boolean') t = z.boolean();
    else {
      let n = p.type === 'integer' ? z.number().int() : z.number();
      if (p.minimum !== undefined) n = n.min(p.minimum);
      if (p.maximum !== undefined) n = n.max(p.maximum);
      t = n;
    }
    if (p.description) t = t.describe(p.description);
    shape[name] = p.default !== undefined ? t.default(p.default as never) : t;
  }
  return z.object(shape).strict();
}

/** A whole value `$name` stands for the graph parameter `name` (keeping its type). */
const PARAM_REF = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Replaces every `$name` string inside `value` with the parameter's value. Throws naming the path of
 * a reference to an undeclared parameter.
 */
export function substituteParams(value: unknown, params: Record<string, unknown>, path: (string | number)[]): unknown {
  if (typeof value === 'string') {
    const m = PARAM_REF.exec(value);
    if (!m) return value;
    if (!(m[1] in params)) throw new ParamRefError(path, m[1], Object.keys(params));
    return params[m[1]];
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteParams(v, params, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteParams(v, params, [...path, k])]));
  }
  return value;
}

export class ParamRefError extends Error {
  constructor(readonly path: (string | number)[], readonly ref: string, declared: string[]) {
    super(`$${ref} names no declared parameter (this file declares: ${declared.join(', ') || 'none'})`);
  }
}
