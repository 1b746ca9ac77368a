import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LineCounter, parseDocument, parse as parseYaml, isNode, type Document } from 'yaml';
import { Application } from '../application.ts';
import { GraphError } from '../errors.ts';
import type { Logger, LogLevel } from '../logger.ts';
import { isOperatorDefinition, type AnyOperatorDefinition } from '../operator.ts';
import { defineOperatorClass, isOperatorClass } from '../operator-class.ts';
import type { OperatorRegistry } from '../registry.ts';
import { pathParamNames, resolvePathValue } from '../path-param.ts';
import { firstProblem, formatPath } from '../zod-issue.ts';
import { AppFileBase, CUSTOM_TYPE, normalizeFlow, parseEndpoint, PARAM_TARGET, SUBGRAPH_TYPE, type AppFile, type AppOption } from './app-file.ts';
import { graphParamsSchema, ParamRefError, substituteParams } from './graph-params.ts';
import { AppFileError } from './app-file-error.ts';
import { checkFragments } from '../fragments/fragment-map.ts';
import { operatorImportAdvice } from './operator-import-advice.ts';

/** An `op.param=value` override that came from somewhere other than `--set` (an app option such as `--port 9000`). */
export interface ParamOverride {
  set: string;
  /** How the user wrote it, for errors: `--port 9000`. */
  from: string;
}

export interface LoadOptions {
  registry: OperatorRegistry;
  /** `op.param=value` overrides (values parsed as YAML scalars), applied before validation; relative paths are relative to the working directory. */
  set?: (string | ParamOverride)[];
  logLevel?: LogLevel;
  logger?: Logger;
  /** Check the `fragments:` section (each operator in exactly one); `validate` and fragment runs do. */
  checkFragments?: boolean;
}

/** A subgraph placed in the app: its operators are named `<name>.<inner>`. */
export interface SubgraphInfo {
  /** The qualified name (`denoise`, or `outer.inner` when nested). */
  name: string;
  /** The `type:` it was used with (`./denoise.yaml`). */
  type: string;
  file: string;
}

export interface LoadedApp {
  app: Application;
  file: string;
  spec: AppFile;
  /** Subgraphs flattened into the app, outermost first. */
  subgraphs: SubgraphInfo[];
}

/** One parsed graph file, with a way to find the line of any field in it. */
interface GraphFile {
  /** The path as errors name it. */
  path: string;
  /** The absolute path (relative types and paths resolve from its folder). */
  file: string;
  spec: AppFile;
  lineOf(p: (string | number)[]): number | null;
}

/** An endpoint a flow can use once subgraphs are flattened: a real operator and port. */
interface Endpoint { op: string; port: string }

/** The interface ports of a flattened subgraph, resolved to real operators. */
interface Interface { inputs: Record<string, Endpoint>; outputs: Record<string, Endpoint> }

interface LoadContext {
  app: Application;
  options: LoadOptions;
  subgraphs: SubgraphInfo[];
}

/**
 * The command-line options an app file declares, for `holots run app.yaml --help`; null when the file
 * cannot be read or is not valid (running it reports why).
 */
export async function readAppOptions(path: string): Promise<Record<string, AppOption> | null> {
  const text = await readFile(resolve(path), 'utf8').catch(() => null);
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch {
    return null;
  }
  const base = AppFileBase.safeParse(raw);
  return base.success ? (base.data.options ?? {}) : null;
}

/**
 * Reads, validates and builds an application from YAML. Nothing starts; every error names its file
 * and line. Operators typed `./x.yaml` are subgraphs, flattened here (see `addGraph`).
 */
export async function loadApp(path: string, options: LoadOptions): Promise<LoadedApp> {
  const graph = await readGraphFile(path, path);
  const app = new Application(graph.spec.name, { logLevel: options.logLevel, logger: options.logger });
  const ctx: LoadContext = { app, options, subgraphs: [] };
  // A graph file run on its own takes its declared params' defaults, or `--set name=value`.
  const { given, origins, operatorSets } = graphParamSets(graph, options.set ?? []);
  let blamed: string | undefined;
  let params: Record<string, unknown>;
  try {
    params = validateParams(graph, given, (key) => {
      blamed = key === null ? undefined : origins.get(key);
      return [graph.path, blamed ? null : graph.lineOf(['params'])];
    }, 'run on its own, a graph takes each parameter\'s default; pass one with --set name=value');
  } catch (e) {
    // A bad value typed on the command line is blamed on what was typed, not on a line.
    if (blamed && e instanceof AppFileError) throw new AppFileError(e.file, null, `${blamed}: ${e.detail}`);
    throw e;
  }
  await addGraph(ctx, graph, '', params, [graph.file], operatorSets);
  try {
    app.topologicalOrder();
  } catch (e) {
    throw new AppFileError(path, graph.lineOf(['flows']), (e as Error).message);
  }
  if (options.checkFragments && graph.spec.fragments) {
    try {
      checkFragments(app, graph.spec.fragments);
    } catch (e) {
      throw e instanceof GraphError ? new AppFileError(path, graph.lineOf(e.path), e.message) : e;
    }
  }
  return { app, file: graph.file, spec: graph.spec, subgraphs: ctx.subgraphs };
}

/** A `--set` without a dot names a parameter the graph file itself declares (`--set size=3`). */
const GRAPH_PARAM_SET = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** Splits the overrides into the graph's own params (`name=value`) and operator params (`op.param=value`). */
function graphParamSets(graph: GraphFile, sets: (string | ParamOverride)[]): { given: Record<string, unknown>; origins: Map<string, string>; operatorSets: (string | ParamOverride)[] } {
  const given: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  const operatorSets: (string | ParamOverride)[] = [];
  const declared = Object.keys(graph.spec.params ?? {});
  for (const item of sets) {
    const s = typeof item === 'string' ? item : item.set;
    const m = GRAPH_PARAM_SET.exec(s);
    if (!m) {
      operatorSets.push(item);
      continue;
    }
    const origin = typeof item === 'string' ? `--set ${s}` : item.from;
    if (!declared.includes(m[1])) {
      throw new AppFileError(graph.path, null, `${origin}: '${m[1]}' is not a parameter of ${graph.spec.name} (${declared.length ? `its params: ${declared.join(', ')}` : 'it declares none'}); an operator's parameter is set as operator.param=value`);
    }
    given[m[1]] = parseScalar(m[2]);
    origins.set(m[1], origin);
  }
  return { given, origins, operatorSets };
}

/** A command-line value as YAML reads a scalar (`3` a number, `true` a boolean); unparsable text stays text. */
function parseScalar(raw: string): unknown {
  if (raw === '') return '';
  try {
    return parseYaml(raw);
  } catch {
    return raw;
  }
}

async function readGraphFile(path: string, shownAs: string): Promise<GraphFile> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AppFileError(shownAs, null, `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new AppFileError(shownAs, lines.linePos(e.pos[0]).line, `YAML syntax: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (p: (string | number)[]) => nodeLine(doc, lines, p);
  const base = AppFileBase.safeParse(doc.toJS() as unknown);
  if (!base.success) {
    const { path: p, message } = firstProblem(base.error);
    throw new AppFileError(shownAs, lineOf(p), `${formatPath(p) || '(file)'}: ${message}`);
  }
  return { path: shownAs, file, spec: base.data, lineOf };
}

/**
 * Validates the params passed to a graph file against what it declares (defaults filled in). `where`
 * names the file and line to blame for a bad value: where the user wrote it.
 */
function validateParams(graph: GraphFile, given: Record<string, unknown>, where: (key: string | null) => [string, number | null], hint?: string): Record<string, unknown> {
  const declared = graph.spec.params ?? {};
  for (const [name, p] of Object.entries(declared)) {
    if (p.default === undefined) continue;
    // A default that breaks its own declaration is the graph file's fault.
    const r = graphParamsSchema({ [name]: { ...p, default: undefined } }).safeParse({ [name]: p.default });
    if (!r.success) throw new AppFileError(graph.path, graph.lineOf(['params', name, 'default']), `params.${name}.default: ${firstProblem(r.error).message}`);
  }
  const r = graphParamsSchema(declared).safeParse(given);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : String(issue.path[0] ?? '');
  const why = issue.code === 'unrecognized_keys'
    ? `unknown parameter (${graph.spec.name} takes: ${Object.keys(declared).join(', ') || 'none'})`
    : given[key] === undefined ? `required${hint ? ` (${hint})` : ''}` : firstProblem(r.error).message;
  const [file, line] = where(key || null);
  throw new AppFileError(file, line, `subgraph ${graph.spec.name} (${graph.path}): params.${key}: ${why}`);
}

/**
 * Adds the operators and flows of `graph` to the app under `prefix` (inner names become
 * `prefix.name`), with its `$param` references replaced by `params`, flattening the subgraphs it uses
 * recursively. Returns its interface ports resolved to real operators, for the graph that uses it.
 * `sets` (--set and app options) apply to the top graph only.
 */
async function addGraph(ctx: LoadContext, graph: GraphFile, prefix: string, params: Record<string, unknown>, chain: string[], sets: (string | ParamOverride)[] = []): Promise<Interface> {
  const { app, options } = ctx;
  const { spec, path, file, lineOf } = graph;
  const qualify = (name: string) => (prefix ? `${prefix}.${name}` : name);
  const defs = new Map<string, AnyOperatorDefinition>();
  for (const [name, entry] of Object.entries(spec.operators)) {
    if (SUBGRAPH_TYPE.test(entry.type)) continue;
    const def = await resolveType(entry.type, file, path, name, lineOf(['operators', name, 'type']), options.registry);
    defs.set(name, def);
    // Paths written in the file are relative to the file, like `./x.ts#Op`.
    for (const key of pathParamNames(def.params)) if (entry.params && key in entry.params) entry.params[key] = resolvePathValue(entry.params[key], dirname(file));
  }
  const overridden = applyOverrides(spec, defs, sets, path);

  // Pools are the application's: the top graph declares them, operators anywhere may use them.
  if (spec.pools && prefix) throw new AppFileError(path, lineOf(['pools']), 'pools: a subgraph cannot declare pools; declare them in the app file');
  for (const [name, pool] of Object.entries(spec.pools ?? {})) {
    try {
      app.addPool(name, pool);
    } catch (e) {
      throw toFileError(e, path, lineOf, overridden);
    }
  }

  const used = new Map<string, Interface>();
  for (const [name, entry] of Object.entries(spec.operators)) {
    let opParams: Record<string, unknown> | undefined;
    let conditions: unknown;
    try {
      opParams = substituteParams(entry.params, params, ['operators', name, 'params']) as Record<string, unknown> | undefined;
      conditions = substituteParams(entry.conditions, params, ['operators', name, 'conditions']);
    } catch (e) {
      if (e instanceof ParamRefError) throw new AppFileError(path, lineOf(e.path), `${formatPath(e.path)}: ${e.message}`);
      throw e;
    }
    const def = defs.get(name);
    if (!def) {
      used.set(name, await addSubgraph(ctx, graph, name, qualify(name), opParams ?? {}, chain));
      continue;
    }
    try {
      if (entry.instances !== undefined && entry.pool === undefined) throw new GraphError(`operator '${name}': instances applies to an operator on a pool; add pool: NAME`, ['operators', name, 'instances']);
      const onPool = entry.pool === undefined ? {} : { pool: entry.pool, instances: entry.instances, module: options.registry.get(entry.type) ? undefined : customModule(entry.type, file) };
      app.add(qualify(name), def, { params: opParams as never, conditions: conditions as never, ...onPool });
    } catch (e) {
      // The error's path names the qualified operator; this file knows it by its own name.
      if (e instanceof GraphError && e.path[0] === 'operators') e = new GraphError(e.message, ['operators', name, ...e.path.slice(2)]);
      throw toFileError(e, path, lineOf, overridden);
    }
  }

  /** `op.port` as this file writes it, as a real operator's port (through a subgraph's interface). */
  const resolveEndpoint = (op: string, port: string, dir: 'inputs' | 'outputs'): Endpoint => {
    const sub = used.get(op);
    if (!sub) {
      if (!spec.operators[op]) throw new GraphError(`unknown operator '${op}'`);
      return { op: qualify(op), port };
    }
    const hit = sub[dir][port];
    if (!hit) throw new GraphError(`subgraph '${qualify(op)}' has no ${dir === 'inputs' ? 'input' : 'output'} port '${port}'; it has: ${Object.keys(sub[dir]).join(', ') || '(none)'}`);
    return hit;
  };

  spec.flows.forEach((f, i) => {
    const flow = normalizeFlow(f);
    try {
      const from = resolveEndpoint(flow.from, flow.fromPort, 'outputs');
      const to = resolveEndpoint(flow.to, flow.toPort, 'inputs');
      app.connect(from.op, from.port, to.op, to.port, { capacity: flow.capacity, policy: flow.policy });
    } catch (e) {
      throw new AppFileError(path, lineOf(['flows', i]), `flows[${i}]: ${(e as Error).message}`);
    }
  });

  const iface: Interface = { inputs: {}, outputs: {} };
  for (const dir of ['inputs', 'outputs'] as const) {
    for (const [portName, target] of Object.entries(spec[dir] ?? {})) {
      try {
        const { op, port } = parseEndpoint(target);
        const ep = resolveEndpoint(op, port, dir);
        const inner = app.operator(ep.op);
        const ports = dir === 'inputs' ? inner.def.inputs : inner.def.outputs;
        if (!ports[ep.port]) throw new GraphError(`operator '${ep.op}' (${inner.type}) has no ${dir === 'inputs' ? 'input' : 'output'} port '${ep.port}'; it has: ${Object.keys(ports).join(', ') || '(none)'}`);
        iface[dir][portName] = ep;
      } catch (e) {
        throw new AppFileError(path, lineOf([dir, portName]), `${dir}.${portName}: ${(e as Error).message}`);
      }
    }
  }
  return iface;
}

/** Where a worker thread loads a `./file.ts#Export` type from (the same file the main thread loaded). */
function customModule(type: string, file: string): { url: string; exportName: string } {
  const hash = type.lastIndexOf('#');
  return { url: pathToFileURL(resolve(dirname(file), type.slice(0, hash))).href, exportName: type.slice(hash + 1) };
}

/** Reads the subgraph `graph` uses as operator `name`, checks the params passed to it, and flattens it. */
async function addSubgraph(ctx: LoadContext, graph: GraphFile, name: string, qualified: string, given: Record<string, unknown>, chain: string[]): Promise<Interface> {
  const entry = graph.spec.operators[name];
  const subFile = resolve(dirname(graph.file), entry.type);
  const at = (p: (string | number)[]) => graph.lineOf(['operators', name, ...p]);
  if (chain.includes(subFile)) {
    throw new AppFileError(graph.path, at(['type']), `operators.${name}.type: subgraph '${entry.type}' includes itself (${[...chain, subFile].map((f) => relative(process.cwd(), f)).join(' -> ')})`);
  }
  if (entry.conditions) throw new AppFileError(graph.path, at(['conditions']), `operators.${name}.conditions: a subgraph takes no conditions (set them on its operators)`);
  const sub = await readGraphFile(subFile, relative(process.cwd(), subFile) || subFile);
  const params = validateParams(sub, given, (key) => [graph.path, at(key ? ['params', key] : [])]);
  ctx.subgraphs.push({ name: qualified, type: entry.type, file: subFile });
  return addGraph(ctx, sub, qualified, params, [...chain, subFile]);
}

async function resolveType(type: string, file: string, path: string, opName: string, line: number | null, registry: OperatorRegistry): Promise<AnyOperatorDefinition> {
  const registered = registry.get(type);
  if (registered) return registered;
  const where = `operators.${opName}.type`;
  if (!CUSTOM_TYPE.test(type)) {
    const known = registry.names().join(', ');
    throw new AppFileError(path, line, `${where}: unknown operator type '${type}' (registered: ${known}; or use "./file.ts#ExportName" or a subgraph "./file.yaml")`);
  }
  const hash = type.lastIndexOf('#');
  const modulePath = resolve(dirname(file), type.slice(0, hash));
  const exportName = type.slice(hash + 1);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (e) {
    throw new AppFileError(path, line, `${where}: cannot load '${modulePath}': ${operatorImportAdvice(e, modulePath) ?? importProblem(e)}`);
  }
  const exported = mod[exportName];
  const def = isOperatorClass(exported) ? defineOperatorClass(exported) : exported;
  if (!isOperatorDefinition(def)) {
    const found = Object.keys(mod).filter((k) => isOperatorDefinition(mod[k]) || isOperatorClass(mod[k]));
    throw new AppFileError(path, line, `${where}: '${modulePath}' has no operator export '${exportName}' (operators it exports: ${found.join(', ') || 'none'})`);
  }
  return def;
}

/**
 * Why an import failed, in one line where possible. A TypeScript syntax error comes from esbuild (through
 * tsx) as `Transform failed with N error(s):` followed by `file.ts:14:41: ERROR: ...` lines: keep those,
 * they say where.
 */
function importProblem(e: unknown): string {
  const lines = (e instanceof Error ? e.message : String(e)).split('\n').map((l) => l.trim()).filter(Boolean);
  if (/^Transform failed with \d+ errors?:?$/.test(lines[0] ?? '') && lines.length > 1) return lines.slice(1).join('; ');
  return lines[0] ?? 'unknown error';
}

/**
 * Applies `op.param=value` / `op.nested.param=value` overrides; each value is read as YAML so numbers and
 * booleans parse. Returns, per operator and top-level param, how the user wrote the override, so a bad
 * value is blamed on it rather than on the file.
 */
function applyOverrides(spec: AppFile, defs: Map<string, AnyOperatorDefinition>, sets: (string | ParamOverride)[], path: string): Map<string, string> {
  const origins = new Map<string, string>();
  for (const item of sets) {
    const s = typeof item === 'string' ? item : item.set;
    const origin = typeof item === 'string' ? `--set ${s}` : item.from;
    const eq = s.indexOf('=');
    const m = PARAM_TARGET.exec(eq > 0 ? s.slice(0, eq) : '');
    if (!m) throw new AppFileError(path, null, `${origin}: expected operator.param=value`);
    const entry = spec.operators[m[1]];
    if (!entry) throw new AppFileError(path, null, `${origin}: no operator '${m[1]}' (operators: ${Object.keys(spec.operators).join(', ')})`);
    let value = parseScalar(s.slice(eq + 1));
    const keys = m[2].split('.');
    // A path typed on the command line is relative to where it was typed.
    const def = defs.get(m[1]); // none for a subgraph: its params are plain values
    if (keys.length === 1 && def && pathParamNames(def.params).includes(keys[0])) value = resolvePathValue(value, process.cwd());
    let target = (entry.params ??= {}) as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      if (typeof target[k] !== 'object' || target[k] === null) target[k] = {};
      target = target[k] as Record<string, unknown>;
    }
    target[keys[keys.length - 1]] = value;
    origins.set(`${m[1]}.${keys[0]}`, origin);
  }
  return origins;
}

function toFileError(e: unknown, path: string, lineOf: (p: (string | number)[]) => number | null, overridden: Map<string, string>): Error {
  if (!(e instanceof GraphError)) return e as Error;
  const [section, op, params, key] = e.path;
  const origin = section === 'operators' && params === 'params' ? overridden.get(`${op}.${key}`) : undefined;
  if (origin) return new GraphError(`${origin}: ${e.message}`, e.path);
  return new AppFileError(path, lineOf(e.path), e.message);
}

/** The line of the deepest YAML node that exists along `p` (a missing field points at its parent). */
function nodeLine(doc: Document, lines: LineCounter, p: (string | number)[]): number | null {
  for (let n = p.length; n >= 0; n--) {
    const node = doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
    if (n > 0) {
      // A map key locates a scalar value better than the map does.
      const parent = doc.getIn(p.slice(0, n - 1), true) as { items?: { key: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
      const pair = parent?.items?.find?.((it) => it.key?.value === p[n - 1]);
      if (pair?.key?.range) return lines.linePos(pair.key.range[0]).line;
    }
  }
  return null;
}
