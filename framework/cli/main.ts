import { readFile, writeFile } from 'node:fs/promises';
import yargs, { type Options } from 'yargs';
import { GraphError, OperatorError, UserError } from '../errors.ts';
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../logger.ts';
import type { OperatorRegistry } from '../registry.ts';
import { AppFileError } from '../yaml/app-file-error.ts';
import { appJsonSchema } from '../yaml/json-schema.ts';
import { loadApp, readAppOptions, type ParamOverride } from '../yaml/load-app.ts';
import type { AppOption } from '../yaml/app-file.ts';
import { describeOperator, formatOperator, operatorsMarkdown } from './describe-operators.ts';
import { toMermaid } from './mermaid.ts';
import type { Application } from '../application.ts';
import { crossingFlows, type FragmentMap } from '../fragments/fragment-map.ts';
import { prepareFragments, type PreparedFragments } from '../fragments/fragment-app.ts';
import { FragmentSetupError, type NatsOptions } from '../fragments/nats-connect.ts';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

/** Raised for a command line or app file that is wrong: exit code 2. */
class UsageError extends Error {}

export interface CliOptions {
  registry: OperatorRegistry;
  version: string;
  /** Where `holots schema --write` puts the JSON Schema. */
  schemaPath: string;
}

const FRAGMENT_KEYS = ['fragment', 'nats', 'nats-user', 'nats-password', 'nats-token', 'nats-tls-ca', 'nats-tls-cert', 'nats-tls-key', 'instance'];
const RUN_KEYS = new Set(['_', '$0', 'app', 'set', 'track', 'log-level', 'logLevel', 'validate-messages', 'validateMessages', 'help', 'version', ...FRAGMENT_KEYS, ...FRAGMENT_KEYS.map(camel)]);

/** The `holots` command line. Returns the exit code; errors go to stderr with one clear line first. */
export async function main(argv: string[], options: CliOptions): Promise<number> {
  let code = EXIT_OK;
  // `holots run app.yaml --help` lists the app's own options too: read them before yargs builds the help.
  const appFile = argv[0] === 'run' && argv[1] && !argv[1].startsWith('-') ? argv[1] : null;
  const appOptions = appFile ? ((await readAppOptions(appFile)) ?? {}) : {};
  const parser = yargs(argv)
    .scriptName('holots')
    .usage('$0 <command> [options]')
    .version(options.version)
    .strictCommands()
    .demandCommand(1, 'name a command: run, validate, graph, operators or schema')
    .option('log-level', { choices: LOG_LEVELS, default: 'info' as const, describe: 'log verbosity (stderr)' })
    .command(
      'run <app>',
      'run an application from YAML; app-declared options (e.g. --port) follow the file',
      (y) => y
        .positional('app', { type: 'string', demandOption: true, describe: 'the app YAML file' })
        .option('set', { type: 'string', array: true, default: [] as string[], describe: 'override a parameter: op.param=value, or name=value for a parameter the graph file declares (repeatable)' })
        .option('track', { type: 'boolean', default: false, describe: 'print per-path latency (data-flow tracking) at exit' })
        .option('validate-messages', { type: 'boolean', default: false, describe: 'check every message against its port type' })
        .option('fragment', { type: 'string', array: true, describe: 'run only this fragment of the app (repeatable); flows to the others go over NATS' })
        .option('nats', { type: 'string', describe: 'NATS server URL(s), comma-separated (with --fragment; default nats://127.0.0.1:4222)' })
        .option('nats-user', { type: 'string', describe: 'NATS user' })
        .option('nats-password', { type: 'string', describe: 'NATS password (or the HOLOTS_NATS_PASSWORD environment variable)' })
        .option('nats-token', { type: 'string', describe: 'NATS token (or HOLOTS_NATS_TOKEN)' })
        .option('nats-tls-ca', { type: 'string', describe: 'CA file that signed the NATS server certificate' })
        .option('nats-tls-cert', { type: 'string', describe: 'client certificate file (mutual TLS)' })
        .option('nats-tls-key', { type: 'string', describe: 'client key file (mutual TLS)' })
        .option('instance', { type: 'string', describe: 'this process\'s id among the copies of its fragment (default: fragment name + random)' })
        .options(appOptionFlags(appOptions, appFile ?? ''))
        .strict(false),
      async (args) => {
        code = await runCommand(args as unknown as RunArgs, options);
      },
    )
    .command('validate <app>', 'check an app YAML without running it; lists the flows that cross fragments', (y) => y.positional('app', { type: 'string', demandOption: true }).option('set', { type: 'string', array: true, default: [] as string[] }), async (args) => {
      const { app, spec, subgraphs } = await loadApp(args.app, { registry: options.registry, set: args.set, logLevel: 'error', checkFragments: true });
      const inner = subgraphs.length ? `, ${subgraphs.length} subgraph${subgraphs.length > 1 ? 's' : ''}` : '';
      process.stdout.write(`${args.app}: ok (${Object.keys(spec.operators).length} operators, ${spec.flows.length} flows${inner})\n`);
      if (spec.fragments) process.stdout.write(describeFragments(app, spec.fragments));
    })
    .command('graph <app>', 'print the app graph as a mermaid flowchart (subgraphs and fragments as boxes)', (y) => y.positional('app', { type: 'string', demandOption: true }), async (args) => {
      const { app, subgraphs, spec } = await loadApp(args.app, { registry: options.registry, logLevel: 'error', checkFragments: true });
      process.stdout.write(toMermaid(app, subgraphs, spec.fragments) + '\n');
    })
    .command('operators', 'list the registered operators with their ports and params', (y) => y.option('json', { type: 'boolean', default: false }).option('markdown', { type: 'boolean', default: false }), (args) => {
      const infos = options.registry.list().map(describeOperator);
      process.stdout.write(args.json ? JSON.stringify(infos, null, 2) + '\n' : args.markdown ? operatorsMarkdown(infos) : infos.map(formatOperator).join('\n\n') + '\n');
    })
    .command('schema', 'print the JSON Schema of app YAML files', (y) => y.option('write', { type: 'boolean', default: false, describe: `write it to ${options.schemaPath}` }).option('check', { type: 'boolean', default: false, describe: 'exit 1 if the file on disk is stale' }), async (args) => {
      const text = JSON.stringify(appJsonSchema(options.registry), null, 2) + '\n';
      if (args.check) {
        const onDisk = await readFile(options.schemaPath, 'utf8').catch(() => '');
        if (onDisk !== text) {
          process.stderr.write(`holots: ${options.schemaPath} is stale; run: npm run docs\n`);
          code = EXIT_RUNTIME;
        }
      } else if (args.write) {
        await writeFile(options.schemaPath, text);
        process.stderr.write(`wrote ${options.schemaPath}\n`);
      } else {
        process.stdout.write(text);
      }
    })
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100));
  try {
    await parser.parseAsync();
    return code;
  } catch (e) {
    return reportError(e);
  }
}

interface RunArgs {
  app: string;
  set: string[];
  track: boolean;
  validateMessages: boolean;
  logLevel: LogLevel;
  [k: string]: unknown;
}

async function runCommand(args: RunArgs, options: CliOptions): Promise<number> {
  let logLevel: LogLevel = isLogLevel(args.logLevel) ? args.logLevel : 'info';
  const sets: (string | ParamOverride)[] = [...args.set];
  // App-declared options come first so an explicit --set still wins.
  const { spec: declared } = await loadApp(args.app, { registry: options.registry, logLevel: 'error' });
  const fromOptions = appOptionSets(declared.options ?? {}, args);
  sets.unshift(...fromOptions.sets);
  if (fromOptions.logLevel) logLevel = fromOptions.logLevel;
  const fragments = (args.fragment as string[] | undefined) ?? [];
  if (fragments.length === 0) {
    const stray = FRAGMENT_KEYS.slice(1).find((k) => args[k] !== undefined);
    if (stray) throw new UsageError(`--${stray} goes with --fragment NAME (without it the whole app runs in this process)`);
  }
  const { app: whole, spec } = await loadApp(args.app, { registry: options.registry, set: sets, logLevel, checkFragments: fragments.length > 0 });
  let app = whole;
  let prepared: PreparedFragments | null = null;
  if (fragments.length) {
    if (!spec.fragments) throw new UsageError(`${args.app} has no fragments: section; add one (e.g. fragments: { ingest: [...], viz: [...] }) to run parts of it with --fragment`);
    try {
      prepared = await prepareFragments(whole, { fragments: spec.fragments, run: fragments, nats: natsOptions(args), instance: args.instance as string | undefined });
    } catch (e) {
      if (e instanceof FragmentSetupError || e instanceof GraphError) throw new UsageError(e.message);
      throw e;
    }
    app = prepared.app;
  }
  const onCrash = (err: unknown) => {
    app.log.error(`uncaught error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = EXIT_RUNTIME;
    app.stop('uncaught error');
  };
  process.on('uncaughtException', onCrash);
  try {
    await app.run({ track: args.track, validateMessages: args.validateMessages, handleSignals: true });
  } finally {
    await prepared?.close();
    process.off('uncaughtException', onCrash);
    if (args.track && app.tracker) process.stdout.write(app.tracker.format() + '\n');
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
}

/** The app's declared options as yargs options, so they show in `--help` (values are checked in appOptionSets). */
function appOptionFlags(declared: Record<string, AppOption>, file: string): Record<string, Options> {
  const flags: Record<string, Options> = {};
  for (const [name, o] of Object.entries(declared)) {
    if (RUN_KEYS.has(name)) continue;
    const target = o.log_level ? `log level ${o.log_level}` : o.set;
    flags[name] = {
      // Numbers stay strings here so a bad value is reported as typed, not as NaN.
      type: o.type === 'boolean' ? 'boolean' : 'string',
      alias: o.alias,
      describe: `${o.describe ?? ''}${o.describe ? ' ' : ''}(${o.type === 'number' ? 'number, ' : ''}sets ${target})`,
      group: `Options of ${file}:`,
    };
  }
  return flags;
}

/** Turns `--port 9000` into `web_server.port=9000` for the options an app declares; rejects unknown ones. */
function appOptionSets(declared: Record<string, AppOption>, args: RunArgs): { sets: ParamOverride[]; logLevel?: LogLevel } {
  let logLevel: LogLevel | undefined;
  const known = new Map<string, [string, AppOption]>();
  for (const [name, o] of Object.entries(declared)) {
    known.set(name, [name, o]);
    known.set(camel(name), [name, o]);
    if (o.alias) known.set(o.alias, [name, o]);
  }
  const sets: ParamOverride[] = [];
  const done = new Set<string>();
  for (const [key, value] of Object.entries(args)) {
    if (RUN_KEYS.has(key)) continue;
    const hit = known.get(key);
    if (!hit) throw new UsageError(`unknown option --${key}${Object.keys(declared).length ? ` (this app takes: ${Object.keys(declared).map((k) => '--' + k).join(', ')})` : ''}`);
    const [name, o] = hit;
    if (done.has(name)) continue;
    done.add(name);
    const v = Array.isArray(value) ? value[value.length - 1] : value;
    if (o.log_level) {
      if (v !== true && v !== false) throw new UsageError(`--${name} is a flag; it takes no value`);
      if (v) logLevel = o.log_level;
    } else if (o.type === 'boolean') {
      if (v === true || v === 'true') sets.push({ set: `${o.set}=${JSON.stringify(o.value ?? true)}`, from: `--${name}` });
      else if (v === false || v === 'false') { if (o.value === undefined) sets.push({ set: `${o.set}=false`, from: `--no-${name}` }); }
      else throw new UsageError(`--${name} is a flag; it takes no value`);
    } else if (o.type === 'number') {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${String(v)}'`);
      sets.push({ set: `${o.set}=${n}`, from: `--${name} ${String(v)}` });
    } else {
      if (v === true || v === undefined || v === '') throw new UsageError(`--${name} needs a value`);
      sets.push({ set: `${o.set}=${JSON.stringify(String(v))}`, from: `--${name} ${String(v)}` });
    }
  }
  return { sets, logLevel };
}

function natsOptions(args: RunArgs): NatsOptions {
  const str = (k: string) => (typeof args[camel(k)] === 'string' ? (args[camel(k)] as string) : undefined);
  const servers = (str('nats') ?? 'nats://127.0.0.1:4222').split(',').map((u) => u.trim()).filter(Boolean);
  const tls = str('nats-tls-ca') || str('nats-tls-cert') || str('nats-tls-key')
    ? { caFile: str('nats-tls-ca'), certFile: str('nats-tls-cert'), keyFile: str('nats-tls-key') }
    : undefined;
  return {
    servers,
    user: str('nats-user'),
    pass: str('nats-password') ?? process.env.HOLOTS_NATS_PASSWORD,
    token: str('nats-token') ?? process.env.HOLOTS_NATS_TOKEN,
    tls,
  };
}

/** `holots validate`: the fragments and the flows that cross between them (over NATS when split). */
function describeFragments(app: Application, fragments: FragmentMap): string {
  const lines = [`fragments: ${Object.entries(fragments).map(([f, ops]) => `${f} [${ops.join(', ')}]`).join(', ')}`];
  const crossing = crossingFlows(app, fragments);
  lines.push(crossing.length ? 'flows that cross fragments (over NATS with --fragment):' : 'no flow crosses fragments');
  for (const f of crossing) {
    const type = app.operator(f.from).def.outputs[f.fromPort].type;
    const how = type.reply ? 'request/reply, queue group' : `capacity ${f.capacity}, ${f.policy}`;
    lines.push(`  ${f.from}.${f.fromPort} -> ${f.to}.${f.toPort}  (${f.fromFragment} -> ${f.toFragment}, ${type.name}, ${how})`);
  }
  return lines.join('\n') + '\n';
}

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function reportError(e: unknown): number {
  if (e instanceof AppFileError || e instanceof GraphError || e instanceof UsageError) {
    process.stderr.write(`holots: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof OperatorError && e.cause instanceof FragmentSetupError) {
    process.stderr.write(`holots: ${e.cause.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof OperatorError) {
    const cause = e.cause instanceof Error && e.cause.stack && !(e.cause instanceof UserError) ? `\n${e.cause.stack}` : '';
    process.stderr.write(`holots: ${e.message}${cause}\n`);
    return EXIT_RUNTIME;
  }
  process.stderr.write(`holots: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT_RUNTIME;
}
