import { z } from 'zod';
import type { AnyOperatorDefinition } from '../operator.ts';
import type { PortSpec } from '../port.ts';

export interface ParamInfo { name: string; type: string; default?: unknown; required: boolean; description?: string }
export interface PortInfo { name: string; type: string; multi: boolean; condition: string; description?: string }
export interface OperatorInfo {
  name: string;
  description?: string;
  inputs: PortInfo[];
  outputs: PortInfo[];
  params: ParamInfo[];
  conditions: unknown[];
}

/** What `holots operators` and the generated reference show, read from the definitions themselves. */
export function describeOperator(def: AnyOperatorDefinition): OperatorInfo {
  const json = z.toJSONSchema(def.params as z.ZodType, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, { type?: string | string[]; default?: unknown; description?: string; enum?: unknown[]; anyOf?: { type?: string }[]; items?: { type?: string } }>;
    required?: string[];
  };
  const params = Object.entries(json.properties ?? {}).map(([name, p]) => ({
    name,
    type: typeName(p),
    default: p.default,
    required: (json.required ?? []).includes(name) && p.default === undefined,
    description: p.description,
  }));
  const ports = (m: Record<string, PortSpec<unknown>>, dir: 'in' | 'out'): PortInfo[] =>
    Object.entries(m).map(([name, s]) => ({
      name,
      type: s.type.name,
      multi: s.multi,
      condition: s.options.condition ?? (dir === 'in' ? 'message-available' : 'downstream-affordable'),
      description: s.options.description,
    }));
  return { name: def.name, description: def.description, inputs: ports(def.inputs, 'in'), outputs: ports(def.outputs, 'out'), params, conditions: [...(def.conditions ?? [])] };
}

function typeName(p: { type?: string | string[]; enum?: unknown[]; anyOf?: { type?: string }[]; items?: { type?: string } }): string {
  if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (p.anyOf) return p.anyOf.map((a) => typeName(a)).join(' | ');
  if (p.type === 'array') return `${p.items ? typeName(p.items) : 'any'}[]`;
  if (Array.isArray(p.type)) return p.type.join(' | ');
  return p.type ?? 'any';
}

export function formatOperator(info: OperatorInfo): string {
  const lines = [`${info.name}${info.description ? ` — ${info.description}` : ''}`];
  const port = (p: PortInfo) => `${p.name}: ${p.type}${p.multi ? '[] (multi-receiver)' : ''}${p.condition === 'none' ? ' (optional)' : ''}`;
  lines.push(`  inputs:  ${info.inputs.map(port).join(', ') || '(none)'}`);
  lines.push(`  outputs: ${info.outputs.map(port).join(', ') || '(none)'}`);
  if (info.conditions.length) lines.push(`  conditions: ${info.conditions.map((c) => JSON.stringify(c)).join(', ')}`);
  lines.push(`  params:${info.params.length ? '' : ' (none)'}`);
  for (const p of info.params) {
    const dflt = p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : p.required ? ' (required)' : '';
    lines.push(`    ${p.name}: ${p.type}${dflt}${p.description ? ` — ${p.description}` : ''}`);
  }
  return lines.join('\n');
}
