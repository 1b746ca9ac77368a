import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
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
import { AppFileBase, CUSTOM_TYPE, normalizeFlow, PARAM_TARGET, type AppFile, type AppOption } from './app-file.ts';
import { AppFileError } from './app-file-error.ts';
import { checkFragments } from '../fragments/fragment-map.ts';

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

export interface LoadedApp {
  app: Application;
  file: string;
  spec: AppFile;
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

/** Reads, validates and builds an application from YAML. Nothing starts; every error names its place. */
export async function loadApp(path: string, options: LoadOptions): Promise<LoadedApp> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new AppFileError(path, null, `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new AppFileError(path, lines.linePos(e.pos[0]).line, `YAML syntax: ${e.message.split('\n')[0]}`);
  }
  const lineOf = (p: (string | number)[]) => nodeLine(doc, lines, p);
  const raw = doc.toJS() as unknown;
  const base = AppFileBase.safeParse(raw);
  if (!base.success) {
    const { path: p, message } = firstProblem(base.error);
    throw new AppFileError(path, lineOf(p), `${formatPath(p) || '(file)'}: ${message}`);
  }
  const spec = base.data;
  const defs = new Map<string, AnyOperatorDefinition>();
  for (const [name, entry] of Object.entries(spec.operators)) {
    const def = await resolveType(entry.type, file, path, name, lineOf(['operators', name, 'type']), options.registry);
    defs.set(name, def);
    // Paths written in the file are relative to the file, like `./x.ts#Op`.
    for (const key of pathParamNames(def.params)) if (entry.params && key in entry.params) entry.params[key] = resolvePathValue(entry.params[key], dirname(file));
  }
  const overridden = applyOverrides(spec, defs, options.set ?? [], path);

  const app = new Application(spec.name, { logLevel: options.logLevel, logger: options.logger });
  for (const [name, entry] of Object.entries(spec.operators)) {
    try {
      app.add(name, defs.get(name)!, { params: entry.params as never, conditions: entry.conditions });
    } catch (e) {
      throw toFileError(e, path, lineOf, overridden);
    }
  }
  spec.flows.forEach((f, i) => {
    const flow = normalizeFlow(f);
    try {
      if (!spec.operators[flow.from]) throw new GraphError(`unknown operator '${flow.from}'`);
      if (!spec.operators[flow.to]) throw new GraphError(`unknown operator '${flow.to}'`);
      app.connect(flow.from, flow.fromPort, flow.to, flow.toPort, { capacity: flow.capacity, policy: flow.policy });
    } catch (e) {
      throw new AppFileError(path, lineOf(['flows', i]), `flows[${i}]: ${(e as Error).message}`);
    }
  });
  try {
    app.topologicalOrder();
  } catch (e) {
    throw new AppFileError(path, lineOf(['flows']), (e as Error).message);
  }
  if (options.checkFragments && spec.fragments) {
    try {
      checkFragments(app, spec.fragments);
    } catch (e) {
      throw toFileError(e, path, lineOf, new Map());
    }
  }
  return { app, file, spec };
}

async function resolveType(type: string, file: string, path: string, opName: string, line: number | null, registry: OperatorRegistry): Promise<AnyOperatorDefinition> {
  const registered = registry.get(type);
  if (registered) return registered;
  const where = `operators.${opName}.type`;
  if (!CUSTOM_TYPE.test(type)) {
    const known = registry.names().join(', ');
    throw new AppFileError(path, line, `${where}: unknown operator type '${type}' (registered: ${known}; or use "./file.ts#ExportName")`);
  }
  const hash = type.lastIndexOf('#');
  const modulePath = resolve(dirname(file), type.slice(0, hash));
  const exportName = type.slice(hash + 1);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
  } catch (e) {
    throw new AppFileError(path, line, `${where}: cannot load '${modulePath}': ${importProblem(e)}`);
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
    const raw = s.slice(eq + 1);
    let value: unknown;
    try {
      value = raw === '' ? '' : parseYaml(raw);
    } catch {
      value = raw;
    }
    const keys = m[2].split('.');
    // A path typed on the command line is relative to where it was typed.
    if (keys.length === 1 && pathParamNames(defs.get(m[1])!.params).includes(keys[0])) value = resolvePathValue(value, process.cwd());
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
