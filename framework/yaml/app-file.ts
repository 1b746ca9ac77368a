import { z } from 'zod';
import { ConditionSpec } from '../conditions.ts';
import { IDENTIFIER, IDENTIFIER_SOURCE } from '../identifier.ts';
import { LOG_LEVELS } from '../logger.ts';
import { QueuePolicy } from '../queue.ts';
import { PoolOptions } from '../workers/pool.ts';
import { FragmentMap } from '../fragments/fragment-map.ts';
import { GraphParam } from './graph-params.ts';

/**
 * The shape of an app YAML file. The loader validates with these schemas and the JSON Schema for
 * editors is generated from them (plus each registered operator's params schema), so the two agree.
 */
const ID = `(${IDENTIFIER_SOURCE})`;
const ENDPOINT = new RegExp(`^${ID}\\.${ID}$`);
export const FLOW_SHORTHAND = new RegExp(`^\\s*${ID}\\.${ID}\\s*->\\s*${ID}\\.${ID}\\s*$`);
/** `operator.param` or `operator.nested.param`, as `--set` and app options name a parameter. */
export const PARAM_TARGET = new RegExp(`^${ID}\\.(${IDENTIFIER_SOURCE}(?:\\.${IDENTIFIER_SOURCE})*)$`);
/** A custom operator type: a path relative to the YAML file, then `#` and the export name. */
export const CUSTOM_TYPE = /^(\.{1,2}\/|\/)[^#]+#[A-Za-z_$][A-Za-z0-9_$]*$/;
/** A subgraph: another graph file, relative to the YAML file. */
export const SUBGRAPH_TYPE = /^(\.{1,2}\/|\/)[^#]+\.ya?ml$/;

const Endpoint = z.string().regex(ENDPOINT, 'expected "operator.port"');

export const FlowShorthand = z.string().regex(FLOW_SHORTHAND, 'a flow is "op.port -> op.port"').describe('"from_op.port -> to_op.port"');

export const FlowLong = z.object({
  from: z.string().regex(ENDPOINT, 'expected "operator.port"').describe('upstream "operator.port"'),
  to: z.string().regex(ENDPOINT, 'expected "operator.port"').describe('downstream "operator.port"'),
  capacity: z.number().int().min(1).optional().describe('queue capacity (default 1)'),
  policy: QueuePolicy.optional().describe('when full: pop drops the oldest, reject drops the newest, fault fails the app'),
}).strict();

export const Flow = z.union([FlowShorthand, FlowLong]);
export type Flow = z.infer<typeof Flow>;

/** `$name`: a graph parameter's value (substituted at load, then validated where it lands). */
const ParamRef = z.string().regex(/^\$[A-Za-z_][A-Za-z0-9_]*$/, 'a graph parameter reference "$name"').describe('a graph parameter, "$name"');

/**
 * A condition as a file may write it: any field but `type` may instead be a `$param` reference. The
 * condition is checked again, with its real values, once the references are replaced.
 */
const FileConditionSpec = z.discriminatedUnion('type', ConditionSpec.options.map((o) => {
  const shape = Object.fromEntries(Object.entries(o.shape).map(([k, v]) => [k, k === 'type' ? v : z.union([v as z.ZodType, ParamRef])]));
  const entry = z.object(shape).strict();
  return o.description ? entry.describe(o.description) : entry;
}) as unknown as [z.ZodObject, ...z.ZodObject[]]);

export const OperatorEntry = z.object({
  type: z.string().min(1).describe('a registered operator type, "./file.ts#ExportName" or a subgraph "./file.yaml"'),
  params: z.record(z.string(), z.unknown()).optional().describe('operator parameters (validated by the operator\'s schema)'),
  conditions: z.array(FileConditionSpec).optional().describe('conditions, all of which must hold for the operator to compute; in a subgraph a field may be "$param"'),
  pool: z.string().regex(IDENTIFIER, 'an identifier').optional().describe('run this operator\'s computes on the worker threads of this pool (see pools)'),
  instances: z.number().int().min(1).optional().describe('with pool: how many of the pool\'s threads host an instance (default all; 1 for a stateful operator)'),
  description: z.string().optional(),
}).strict();
export type OperatorEntry = z.infer<typeof OperatorEntry>;

/** A command-line option an app declares, mapped onto a parameter (`holots run app.yaml --port 9000`). */
export const AppOption = z.object({
  set: z.string().regex(PARAM_TARGET, 'expected "operator.param"').optional().describe('the "operator.param" this option sets'),
  log_level: z.enum(LOG_LEVELS).optional().describe('a boolean flag that sets the log level (e.g. --verbose)'),
  type: z.enum(['string', 'number', 'boolean']).default('string'),
  alias: z.string().optional(),
  describe: z.string().optional(),
  /** For a boolean option: the value set when the flag is given (e.g. a log level). */
  value: z.unknown().optional(),
}).strict().refine((o) => (o.set === undefined) !== (o.log_level === undefined), 'an option has either `set` or `log_level`')
  .refine((o) => o.log_level === undefined || o.type === 'boolean', 'a `log_level` option is a boolean flag (type: boolean)');
export type AppOption = z.infer<typeof AppOption>;

export const AppFileBase = z.object({
  $schema: z.string().optional(),
  name: z.string().regex(IDENTIFIER, 'an identifier').describe('the application name'),
  description: z.string().optional(),
  options: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lower-case option name'), AppOption).optional().describe('command-line options of this app'),
  pools: z.record(z.string().regex(IDENTIFIER, 'an identifier'), PoolOptions).optional().describe('pools of worker threads that operators can run on (pool: name)'),
  operators: z.record(z.string().regex(IDENTIFIER, 'an identifier'), OperatorEntry).refine((o) => Object.keys(o).length > 0, 'at least one operator'),
  flows: z.array(Flow).default([]),
  fragments: FragmentMap.optional(),
  params: z.record(z.string().regex(IDENTIFIER, 'an identifier'), GraphParam).optional()
    .describe('parameters of this graph when used as a subgraph (type: ./this.yaml); operators refer to one as "$name"'),
  inputs: z.record(z.string().regex(IDENTIFIER, 'an identifier'), Endpoint).optional()
    .describe('input ports of this graph when used as a subgraph: port name -> "operator.port" inside'),
  outputs: z.record(z.string().regex(IDENTIFIER, 'an identifier'), Endpoint).optional()
    .describe('output ports of this graph when used as a subgraph: port name -> "operator.port" inside'),
}).strict();
export type AppFile = z.infer<typeof AppFileBase>;

export function parseEndpoint(s: string): { op: string; port: string } {
  const m = ENDPOINT.exec(s.trim())!;
  return { op: m[1], port: m[2] };
}

export function normalizeFlow(f: Flow): { from: string; fromPort: string; to: string; toPort: string; capacity?: number; policy?: QueuePolicy } {
  if (typeof f === 'string') {
    const m = FLOW_SHORTHAND.exec(f)!;
    return { from: m[1], fromPort: m[2], to: m[3], toPort: m[4] };
  }
  const a = parseEndpoint(f.from);
  const b = parseEndpoint(f.to);
  return { from: a.op, fromPort: a.port, to: b.op, toPort: b.port, capacity: f.capacity, policy: f.policy };
}
