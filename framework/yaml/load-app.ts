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
import { AppFileBase, CUSTOM_TYPE, normalizeFlow, type AppFile } from './app-file.ts';
import { AppFileError } from './app-file-error.ts';
import { checkFragments } from '../fragments/fragment-map.ts';

export interface LoadOptions {
  registry: OperatorRegistry;
  /** `op.param=value` overrides (values parsed as YAML scalars), applied before validation. */
  set?: string[];
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
    const issue = base.error.issues[0];
    const p = issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
    throw new AppFileError(path, lineOf(p), `${describePath(p)}: ${issue.message}`);
  }
  const spec = base.data;
  applyOverrides(spec, options.set ?? [], path);

  const app = new Application(spec.name, { logLevel: options.logLevel, logger: options.logger });
  for (const [name, entry] of Object.entries(spec.operators)) {
    const def = await resolveType(entry.type, file, path, name, lineOf(['operators', name, 'type']), options.registry);
    try {
      app.add(name, def, { params: entry.params as never, conditions: entry.conditions });
    } catch (e) {
      throw toFileError(e, path, lineOf);
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
      throw toFileError(e, path, lineOf);
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
    throw new AppFileError(path, line, `${where}: cannot load '${modulePath}': ${(e as Error).message.split('\n')[0]}`);
  }
  const exported = mod[exportName];
  const def = isOperatorClass(exported) ? defineOperatorClass(exported) : exported;
  if (!isOperatorDefinition(def)) {
    const found = Object.keys(mod).filter((k) => isOperatorDefinition(mod[k]) || isOperatorClass(mod[k]));
    throw new AppFileError(path, line, `${where}: '${modulePath}' has no operator export '${exportName}' (operators it exports: ${found.join(', ') || 'none'})`);
  }
  return def;
}

/** `op.param=value` or `op.nested.param=value`; the value is read as YAML so numbers and booleans parse. */
function applyOverrides(spec: AppFile, sets: string[], path: string): void {
  for (const s of sets) {
    const eq = s.indexOf('=');
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_.]*)$/.exec(eq > 0 ? s.slice(0, eq) : '');
    if (!m) throw new AppFileError(path, null, `--set '${s}': expected operator.param=value`);
    const entry = spec.operators[m[1]];
    if (!entry) throw new AppFileError(path, null, `--set '${s}': no operator '${m[1]}' (operators: ${Object.keys(spec.operators).join(', ')})`);
    const raw = s.slice(eq + 1);
    let value: unknown;
    try {
      value = raw === '' ? '' : parseYaml(raw);
    } catch {
      value = raw;
    }
    const keys = m[2].split('.');
    let target = (entry.params ??= {}) as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      if (typeof target[k] !== 'object' || target[k] === null) target[k] = {};
      target = target[k] as Record<string, unknown>;
    }
    target[keys[keys.length - 1]] = value;
  }
}

function toFileError(e: unknown, path: string, lineOf: (p: (string | number)[]) => number | null): Error {
  if (e instanceof GraphError) return new AppFileError(path, lineOf(e.path), e.message);
  return e as Error;
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

function describePath(p: (string | number)[]): string {
  if (p.length === 0) return '(file)';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}
