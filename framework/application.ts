import type { z } from 'zod';
import { ConditionSpec } from './conditions.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import { GraphError } from './errors.ts';
import { GraphRun, type RunOptions } from './graph-run.ts';
import { Observable } from 'rxjs';
import { observableSource } from './observable-source.ts';
import type { MessageOf } from './port.ts';
import type { Tapped } from './tap.ts';
import { createLogger, type Logger, type LogLevel } from './logger.ts';
import { isIdentifier } from './identifier.ts';
import { firstProblem, formatPath } from './zod-issue.ts';
import { typesCompatible } from './message-type.ts';
import type { AnyOperatorDefinition } from './operator.ts';
import { OperatorNode } from './operator-node.ts';
import type { DataFlowTracker } from './tracking.ts';
import { topologicalOrder } from './topology.ts';
import { Pools, type PoolPlacement } from './workers/pools.ts';
import type { PoolOptions } from './workers/pool.ts';

export type { RunOptions } from './graph-run.ts';

/** A handle to an operator instance in a graph; carries the definition's types for `addFlow`. */
export interface OperatorHandle<D extends AnyOperatorDefinition = AnyOperatorDefinition> {
  readonly name: string;
  readonly def: D;
}

export interface AddOptions<D extends AnyOperatorDefinition> extends PoolPlacement {
  params?: z.input<D['params']>;
  conditions?: ConditionSpec[];
}

export interface FeedOptions extends ConnectionOptions {
  /** The name of the source operator that carries the Observable into the graph. */
  name?: string;
}

export interface FlowInfo {
  from: string;
  fromPort: string;
  to: string;
  toPort: string;
  capacity: number;
  policy: string;
}

type OutName<D extends AnyOperatorDefinition> = keyof D['outputs'] & string;
type InName<D extends AnyOperatorDefinition> = keyof D['inputs'] & string;

/**
 * A graph of operators and the loop that runs it. `run()` resolves when no operator can ever compute
 * again, or when something asks to stop; it rejects, naming the operator, when one fails. Either way
 * every started operator's `stop()` has run exactly once, in reverse topological order.
 */
export class Application {
  readonly log: Logger;
  private readonly nodes = new Map<string, OperatorNode>();
  /** What each operator was added with, so a fragment of this graph can be built from it. */
  private readonly added = new Map<string, { def: AnyOperatorDefinition; options: AddOptions<AnyOperatorDefinition> }>();
  private readonly connections: Connection[] = [];
  private tracker_: DataFlowTracker | null = null;
  /** The run in progress, if any; a fresh one per `run()`. */
  private currentRun: GraphRun | null = null;
  private readonly pools = new Pools();

  constructor(readonly name: string, options: { logLevel?: LogLevel; logger?: Logger } = {}) {
    this.log = options.logger ?? createLogger(options.logLevel ?? 'info', name);
  }

  add<D extends AnyOperatorDefinition>(name: string, def: D, options: AddOptions<D> = {}): OperatorHandle<D> {
    if (this.currentRun) throw new GraphError(`cannot add operator '${name}' while the application runs`);
    // A dotted name is an operator inside a subgraph (`denoise.blur`), each part an identifier.
    if (!name.split('.').every(isIdentifier)) throw new GraphError(`operator name '${name}' must be an identifier (letters, digits, _)`, ['operators', name]);
    if (this.nodes.has(name)) throw new GraphError(`operator '${name}' is defined twice`, ['operators', name]);
    const parsed = def.params.safeParse(options.params ?? {});
    if (!parsed.success) {
      const { path, message } = firstProblem(parsed.error, () => `unknown parameter (${def.name} takes: ${Object.keys((def.params as { shape?: object }).shape ?? {}).join(', ') || 'none'})`);
      throw new GraphError(`operator '${name}' (${def.name}): ${formatPath(['params', ...path])}: ${message}`, ['operators', name, 'params', ...path]);
    }
    const conditions = mergeConditions(def.conditions ?? [], options.conditions ?? [], name, def.name);
    const log = this.log.child(name);
    const node = options.pool !== undefined
      ? this.pools.node(name, def, parsed.data, conditions, log, { ...options, pool: options.pool })
      : new OperatorNode(name, def, parsed.data, conditions, log);
    this.nodes.set(name, node);
    this.added.set(name, { def, options: options as AddOptions<AnyOperatorDefinition> });
    return { name, def };
  }

  /** A pool of worker threads operators can be put on (`app.add(name, Op, { pool })`); see the guide. */
  addPool(name: string, options: PoolOptions): this {
    if (this.currentRun) throw new GraphError(`cannot add pool '${name}' while the application runs`);
    this.pools.define(name, options);
    return this;
  }

  /** Worker threads started so far, over all pools (none before `run()`). */
  get workerThreadsStarted(): number { return this.pools.startedThreads; }

  /**
   * Connects output ports of `from` to input ports of `to`. With no pairs, the one output/input pair whose
   * message types agree is taken (so an operator may grow an output of another type without breaking
   * flows that named no ports); none or several such pairs is an error. Checks names and message types
   * now, so a wrong graph fails before anything starts.
   */
  addFlow<A extends AnyOperatorDefinition, B extends AnyOperatorDefinition>(
    from: OperatorHandle<A>,
    to: OperatorHandle<B>,
    pairs?: [OutName<A>, InName<B>][],
    options: ConnectionOptions = {},
  ): this {
    const a = this.node(from.name);
    const b = this.node(to.name);
    const resolved = pairs ?? [solePair(a, b) as [OutName<A>, InName<B>]];
    for (const [outName, inName] of resolved) this.connect(a, outName, b, inName, options);
    return this;
  }

  /** The string-typed form the YAML loader uses. */
  connect(a: OperatorNode | string, outName: string, b: OperatorNode | string, inName: string, options: ConnectionOptions = {}): Connection {
    const src = typeof a === 'string' ? this.node(a) : a;
    const dst = typeof b === 'string' ? this.node(b) : b;
    // The run reads each operator's queues as they were when it started.
    if (this.currentRun) throw new GraphError(`cannot connect ${src.name}.${outName} to ${dst.name}.${inName} while the application runs`);
    const out = src.def.outputs[outName];
    if (!out) throw new GraphError(`operator '${src.name}' (${src.type}) has no output port '${outName}'; it has: ${portList(src.def.outputs)}`, ['flows', `${src.name}.${outName}`]);
    const inp = dst.def.inputs[inName];
    if (!inp) throw new GraphError(`operator '${dst.name}' (${dst.type}) has no input port '${inName}'; it has: ${portList(dst.def.inputs)}`, ['flows', `${dst.name}.${inName}`]);
    if (!typesCompatible(out.type, inp.type)) {
      throw new GraphError(`cannot connect ${src.name}.${outName} (${out.type.name}) to ${dst.name}.${inName} (${inp.type.name}): message types differ`, ['flows', `${src.name}.${outName}`]);
    }
    const port = dst.inputPort(inName)!;
    if (!port.multi && port.connections.length > 0) {
      throw new GraphError(`input ${dst.name}.${inName} already has an upstream (${port.connections[0].label}); only multi-receiver inputs take several`, ['flows', `${dst.name}.${inName}`]);
    }
    if (src === dst) throw new GraphError(`operator '${src.name}' cannot feed itself`, ['flows', `${src.name}.${outName}`]);
    const capacity = options.capacity ?? inp.options.capacity ?? 1;
    const policy = options.policy ?? inp.options.policy ?? 'pop';
    let conn: Connection;
    try {
      conn = new Connection(src, outName, dst, inName, capacity, policy);
    } catch (e) {
      throw new GraphError((e as Error).message, ['flows', `${src.name}.${outName}`]);
    }
    src.outputPort(outName)!.connections.push(conn);
    port.connections.push(conn);
    src.downstream.add(dst);
    dst.upstream.add(src);
    this.connections.push(conn);
    return conn;
  }

  node(name: string): OperatorNode {
    const n = this.nodes.get(name);
    if (!n) throw new GraphError(`no operator named '${name}' in application '${this.name}'`, ['operators', name]);
    return n;
  }

  operatorNames(): string[] { return [...this.nodes.keys()]; }
  operator(name: string): { name: string; type: string; def: AnyOperatorDefinition; params: unknown; computeCount: number } {
    const n = this.node(name);
    return { name: n.name, type: n.type, def: n.def, params: n.params, computeCount: n.computeCount };
  }

  /** The definition and options an operator was added with (to rebuild part of this graph elsewhere). */
  operatorSpec(name: string): { def: AnyOperatorDefinition; options: AddOptions<AnyOperatorDefinition> } {
    this.node(name);
    return this.added.get(name)!;
  }

  flows(): FlowInfo[] {
    return this.connections.map((c) => ({ from: c.from.name, fromPort: c.fromPort, to: c.to.name, toPort: c.toPort, capacity: c.queue.capacity, policy: c.queue.policy }));
  }

  /** Messages dropped by each connection's policy so far. */
  drops(): Record<string, number> {
    return Object.fromEntries(this.connections.map((c) => [c.label, c.queue.dropped]));
  }

  /** Data-flow tracking results of the last `run({ track: true })`. */
  get tracker(): DataFlowTracker | null { return this.tracker_; }

  /**
   * Observes an output port: a hot Observable of every message the operator emits there, with its
   * metadata, from the moment of subscribing. It never slows or changes the graph (handlers run
   * synchronously on each emit: move heavy work off with `observeOn`), and completes when the
   * operator can emit no more (its end of stream) or the run ends. Typed from the definition when
   * given a handle; `'op.port'` gives `unknown` values.
   */
  output<D extends AnyOperatorDefinition, K extends OutName<D>>(op: OperatorHandle<D>, port: K): Observable<Tapped<MessageOf<D['outputs'][K]>>>;
  output(endpoint: string): Observable<Tapped<unknown>>;
  output(op: OperatorHandle | string, port?: string): Observable<Tapped<unknown>> {
    const [node, portName] = this.endpoint(op, port, 'output');
    return new Observable<Tapped<unknown>>((subscriber) => {
      const remove = node.tap(portName, subscriber);
      this.currentRun?.watch();
      return remove;
    });
  }

  /**
   * Feeds an input port from an Observable: adds an `observableSource` operator (named
   * `<op>_<port>_source` unless `options.name` says otherwise) connected to the port. Faster pushes
   * than the graph takes meet the connection's capacity and policy; the Observable's error fails the
   * app naming that operator; its completion is the end of that stream.
   */
  input<D extends AnyOperatorDefinition, K extends InName<D>>(op: OperatorHandle<D>, port: K, source: Observable<MessageOf<D['inputs'][K]>>, options?: FeedOptions): OperatorHandle;
  input(endpoint: string, source: Observable<unknown>, options?: FeedOptions): OperatorHandle;
  input(op: OperatorHandle | string, a: string | Observable<unknown>, b?: Observable<unknown> | FeedOptions, c?: FeedOptions): OperatorHandle {
    const [port, source, options] = typeof a === 'string' ? [a, b as Observable<unknown>, c ?? {}] : [undefined, a, (b as FeedOptions | undefined) ?? {}];
    const [node, portName] = this.endpoint(op, port, 'input');
    const name = options.name ?? `${node.name.replaceAll('.', '_')}_${portName}_source`;
    const handle = this.add(name, observableSource(node.def.inputs[portName].type, source));
    this.connect(handle.name, 'out', node, portName, { capacity: options.capacity, policy: options.policy });
    return handle;
  }

  /** Messages emitted after the last run ended, per `operator.port`: taps saw them, no operator did. */
  undelivered(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const n of this.nodes.values()) for (const [p, count] of Object.entries(n.undeliveredCounts())) out[`${n.name}.${p}`] = count;
    return out;
  }

  /** Resolves `handle, 'port'` or `'op.port'` (split at the last dot: subgraph names hold dots). */
  private endpoint(op: OperatorHandle | string, port: string | undefined, kind: 'input' | 'output'): [OperatorNode, string] {
    let opName: string;
    let portName: string;
    if (typeof op === 'string' && port === undefined) {
      const dot = op.lastIndexOf('.');
      if (dot <= 0) throw new GraphError(`expected "operator.port", got '${op}'`);
      [opName, portName] = [op.slice(0, dot), op.slice(dot + 1)];
    } else {
      [opName, portName] = [typeof op === 'string' ? op : op.name, port!];
    }
    const node = this.node(opName);
    const ports = kind === 'output' ? node.def.outputs : node.def.inputs;
    if (!ports[portName]) throw new GraphError(`operator '${node.name}' (${node.type}) has no ${kind} port '${portName}'; it has: ${portList(ports)}`);
    return [node, portName];
  }

  /** Asks a running application to stop gracefully; `run()` then resolves. */
  stop(reason = 'stop requested'): void {
    this.currentRun?.end(reason);
  }

  topologicalOrder(): string[] {
    return topologicalOrder([...this.nodes.values()]).map((n) => n.name);
  }

  async run(options: RunOptions = {}): Promise<void> {
    if (this.currentRun) throw new Error(`application '${this.name}' is already running`);
    const run = new GraphRun(topologicalOrder([...this.nodes.values()]), options, this.log);
    this.currentRun = run;
    this.tracker_ = run.tracker;
    try {
      await run.execute();
    } finally {
      await this.pools.terminate(); // every operator has stopped: no thread outlives the run
      this.currentRun = null;
    }
  }
}

function mergeConditions(defaults: readonly ConditionSpec[], own: readonly ConditionSpec[], name: string, type: string): ConditionSpec[] {
  const parsed = own.map((c, i) => {
    const r = ConditionSpec.safeParse(c);
    if (!r.success) {
      const { path, message } = firstProblem(r.error);
      throw new GraphError(`operator '${name}' (${type}): ${formatPath(['conditions', i, ...(path.length ? path : ['type'])])}: ${message}`, ['operators', name, 'conditions', i, ...path]);
    }
    return r.data;
  });
  const ownTypes = new Set(parsed.map((c) => c.type));
  return [...defaults.filter((c) => !ownTypes.has(c.type)), ...parsed];
}

function solePair(a: OperatorNode, b: OperatorNode): [string, string] {
  const outNames = Object.keys(a.def.outputs), inNames = Object.keys(b.def.inputs);
  // One port each: that pair, and connect() says so if the types differ.
  if (outNames.length === 1 && inNames.length === 1) return [outNames[0], inNames[0]];
  const pairs: [string, string][] = [];
  for (const [outName, out] of Object.entries(a.def.outputs)) {
    for (const [inName, inp] of Object.entries(b.def.inputs)) if (typesCompatible(out.type, inp.type)) pairs.push([outName, inName]);
  }
  if (pairs.length !== 1) {
    const outs = outNames.join(', ') || 'none';
    const ins = inNames.join(', ') || 'none';
    throw new GraphError(`${pairs.length === 0 ? 'no' : pairs.length} output/input pairs of matching message type between '${a.name}' (${a.type}; outputs: ${outs}) and '${b.name}' (${b.type}; inputs: ${ins}); name the port pair in the flow`, ['flows', a.name]);
  }
  return pairs[0];
}

function portList(ports: Record<string, unknown>): string {
  const names = Object.keys(ports);
  return names.length ? names.join(', ') : '(none)';
}
