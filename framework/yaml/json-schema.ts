import { z } from 'zod';
import type { OperatorRegistry } from '../registry.ts';
import { AppFileBase, CUSTOM_TYPE, OperatorEntry } from './app-file.ts';

/**
 * The JSON Schema for app YAML, for editors (yaml-language-server). Built from the same zod schemas
 * the loader validates with: the file's shape plus, per registered operator, its params schema.
 */
export function appJsonSchema(registry: OperatorRegistry): Record<string, unknown> {
  const variants = registry.list().map((def) =>
    OperatorEntry.extend({
      type: z.literal(def.name).describe(def.description ?? def.name),
      params: (def.params as z.ZodType).optional(),
    }),
  );
  const custom = OperatorEntry.extend({ type: z.string().regex(CUSTOM_TYPE).describe('"./file.ts#ExportName", resolved from the YAML file\'s folder') });
  const entry = z.union([...variants, custom] as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  const schema = AppFileBase.extend({ operators: z.record(z.string(), entry) });
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<string, unknown>;
  return { title: 'holots application', ...json };
}
