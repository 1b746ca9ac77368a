import { z } from 'zod';
import type { OperatorRegistry } from '../registry.ts';
import { AppFileBase, CUSTOM_TYPE, OperatorEntry, SUBGRAPH_TYPE } from './app-file.ts';

/**
 * The JSON Schema for app YAML, for editors (yaml-language-server). Built from the same zod schemas
 * the loader validates with: the file's shape plus, per registered operator, its params schema.
 */
export async function appJsonSchema(registry: OperatorRegistry): Promise<Record<string, unknown>> {
  const variants = (await registry.loadAll()).map((def) =>
    OperatorEntry.extend({
      type: z.literal(def.name).describe(def.description ?? def.name),
      params: (def.params as z.ZodType).optional(),
    }),
  );
  const custom = OperatorEntry.extend({ type: z.string().regex(CUSTOM_TYPE).describe('"./file.ts#ExportName", resolved from the YAML file\'s folder') });
  const subgraph = OperatorEntry.omit({ conditions: true }).extend({
    type: z.string().regex(SUBGRAPH_TYPE).describe('a subgraph: "./file.yaml", resolved from the YAML file\'s folder; its operators are named <name>.<inner>'),
    params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('values for the parameters the subgraph declares'),
  });
  const entry = z.union([...variants, custom, subgraph] as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
  const schema = AppFileBase.extend({ operators: z.record(z.string(), entry) });
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-7' }) as Record<string, unknown>;
  return { title: 'holots application', ...json };
}
