import type { z } from 'zod';
import { ConditionSpec } from './conditions.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import { GraphError, OperatorError } from './errors.ts';
import { createLogger, type Logger, type LogLevel } from './logger.ts';
import { typesCompatible } from './message-type.ts';
import type { AnyOperatorDefinition } from './operator.ts';
import { OperatorNode, type NodeRuntime } from './operator-node.ts';
import { RunQueue } from './run-queue.ts';
import { DataFlowTracker } from './tracking.ts';
import { topologicalOrder } from './topology.ts';

/** A handle to an operator instance in a graph; carries the definition's types for `addFlow`. */
export interface OperatorHandle<D extends AnyOperatorDefinition = AnyOperatorDefinition> {
  readonly name: string;
  readonly def: D;
}

export interface AddOptions<D extends AnyOperatorDefinition> {
  params?: z.input<D['params']>;
  conditions?: ConditionSpec[];
}

export interface RunOptions {
  /** Record per-path latency (root emit to leaf compute). */
  track?: boolean;
  /** Check every emitted message against its port's schema. */
  validateMessages?: boolean;
  /** Stop gracefully on SIGINT/SIGTERM (the CLI turns this on). */
  handleSignals?: boolean;
  /** How long shutdown waits for computes in flight before calling stop() anyway. */
  stopTimeoutMs?: number;
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
  private runQueue: RunQueue | null = null;
  private stopRequested: ((reason: string) => void) | null = null;
  private running = false;

  constructor(readonly name: string, options: { logLevel?: LogLevel; logger?: Logger } = {}) {
    this.log = options.logger ?? createLogger(options.logLevel ?? 'info', name);
  }

  add<D extends AnyOperatorDefinition>(name: string, def: D, options: AddOptions<D> = {}): OperatorHandle<D> {
    if (this.running) throw new GraphError(`cannot add operator '${name}' while the application runs`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new GraphError(`operator name '${name}' must be an identifier (letters, digits, _)`, ['operators', name]);
    if (this.nodes.has(name)) throw new GraphError(`operator '${name}' is defined twice`, ['operators', name]);
    const parsed = def.params.safeParse(options.params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // zod reports unknown keys on the parent object; name the key itself as the field.
      const path = [...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]] : [])];
      const message = issue.code === 'unrecognized_keys' ? `unknown parameter (${def.name} takes: ${Object.keys((def.params as { shape?: object }).shape ?? {}).join(', ') || 'none'})` : issue.message;
      throw new GraphError(`operator '${name}' (${def.name}): params.${path.join('.') || '(params)'}: ${message}`, ['operators', name, 'params', ...path]);
    }
    const conditions = mergeConditions(def.conditions ?? [], options.conditions ?? [], name, def.name);
    const node = new OperatorNode(name, def, parsed.data, conditions, this.log.child(name));
    this.nodes.set(name, node);
    this.added.set(name, { def, options: options as AddOptions<AnyOperatorDefinition> });
    return { name, def };
  }

  /**
   * Connects output ports of `from` to input ports of `to`. With no pairs, each side must have exactly
   * one port. Checks names and message types now, so a wrong graph fails before anything starts.
   */
  addFlow<A extends AnyOperatorDefinition, B extends AnyOperatorDefinition>(
    from: OperatorHandle<A>,
    to: OperatorHandle<B>,
    pairs?: [OutName<A>, InName<B>][],
    options: ConnectionOptions = {},
  ): this {
    const a = this.node(from.name);
    const b = this.node(to.name);
    const resolved = pairs ?? [[soleName(a.def.outputs, a, 'output'), soleName(b.def.inputs, b, 'input')] as [OutName<A>, InName<B>]];
    for (const [outName, inName] of resolved) this.connect(a, outName, b, inName, options);
    return this;
  }

  /** The string-typed form the YAML loader uses. */
  connect(a: OperatorNode | string, outName: string, b: OperatorNode | string, inName: string, options: ConnectionOptions = {}): Connection {
    const src = typeof a === 'string' ? this.node(a) : a;
    const dst = typeof b === 'string' ? this.node(b) : b;
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

  /** Asks a running application to stop gracefully; `run()` then resolves. */
  stop(reason = 'stop requested'): void {
    this.stopRequested?.(reason);
  }

  topologicalOrder(): string[] {
    return topologicalOrder([...this.nodes.values()]).map((n) => n.name);
  }

  async run(options: RunOptions = {}): Promise<void> {
    if (this.running) throw new Error(`application '${this.name}' is already running`);
    const order = topologicalOrder([...this.nodes.values()]);
    this.running = true;
    const tracker = options.track ? new DataFlowTracker() : null;
    this.tracker_ = tracker;
    const runQueue = new RunQueue();
    this.runQueue = runQueue;
    const abort = new AbortController();
    let failure: OperatorError | null = null;
    let finish!: (reason: string) => void;
    const done = new Promise<string>((resolve) => { finish = resolve; });
    let finishedFlag = false;
    const end = (reason: string) => {
      if (finishedFlag) return;
      finishedFlag = true;
      runQueue.stop();
      finish(reason);
    };
    this.stopRequested = end;

    const nodes = order;
    const finishedSet = (n: OperatorNode, memo: Map<OperatorNode, boolean>): boolean => {
      const hit = memo.get(n);
      if (hit !== undefined) return hit;
      memo.set(n, false); // guards against re-entry; the graph is acyclic
      const v = !n.inFlight && n.exhausted((u) => finishedSet(u, memo));
      memo.set(n, v);
      return v;
    };
    const checkDone = () => {
      if (finishedFlag) return;
      const memo = new Map<OperatorNode, boolean>();
      if (nodes.every((n) => finishedSet(n, memo))) end('no operator can run again');
    };
    const runtime: NodeRuntime = {
      runQueue,
      tracker,
      validateMessages: options.validateMessages === true,
      signal: abort.signal,
      fail: (err) => {
        if (!failure) failure = err;
        end(err.message);
      },
      requestStop: (reason) => end(reason),
      settled: () => {
        if (!runQueue.busy) checkDone();
      },
    };
    runQueue.idleHook = checkDone;
    for (const n of nodes) n.attach(runtime);

    const onSignal = (sig: NodeJS.Signals) => {
      if (finishedFlag) {
        this.log.warn(`${sig} again: exiting now`);
        process.exit(130);
      }
      this.log.info(`${sig}: stopping`);
      end(sig);
    };
    if (options.handleSignals) {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    }

    try {
      for (const n of nodes) {
        try { await n.initialize(); } catch (e) { throw new OperatorError(n.name, n.type, 'initialize', e); }
        if (finishedFlag) break;
      }
      for (const n of nodes) {
        if (finishedFlag) break;
        try { await n.start(); } catch (e) { throw new OperatorError(n.name, n.type, 'start', e); }
      }
      if (!finishedFlag) {
        for (const n of nodes) runQueue.enqueue(n);
        runQueue.drain();
      }
      const reason = await done;
      this.log.debug(`stopping: ${reason}`);
    } catch (e) {
      if (!failure) failure = e instanceof OperatorError ? e : new OperatorError('?', '?', 'start', e);
      end(failure.message);
    } finally {
      abort.abort();
      for (const n of nodes) n.clearTimer();
      await waitForComputes(nodes, options.stopTimeoutMs ?? 5000, this.log);
      for (const n of [...nodes].reverse()) {
        try {
          await n.stop();
        } catch (e) {
          const err = new OperatorError(n.name, n.type, 'stop', e);
          this.log.error(err.message);
          if (!failure) failure = err;
        }
      }
      if (options.handleSignals) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      this.stopRequested = null;
      this.running = false;
    }
    if (failure) throw failure;
  }
}

async function waitForComputes(nodes: OperatorNode[], timeoutMs: number, log: Logger): Promise<void> {
  const pending = nodes.map((n) => n.pending).filter((p): p is Promise<void> => p !== null);
  if (pending.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), timeoutMs); });
  const result = await Promise.race([Promise.allSettled(pending), timeout]);
  clearTimeout(timer);
  if (result === 'timeout') log.warn(`computes still running after ${timeoutMs} ms: ${nodes.filter((n) => n.pending).map((n) => n.name).join(', ')}; stopping anyway`);
}

function mergeConditions(defaults: readonly ConditionSpec[], own: readonly ConditionSpec[], name: string, type: string): ConditionSpec[] {
  const parsed = own.map((c, i) => {
    const r = ConditionSpec.safeParse(c);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new GraphError(`operator '${name}' (${type}): conditions[${i}].${issue.path.join('.') || 'type'}: ${issue.message}`, ['operators', name, 'conditions', i, ...issue.path.map(String)]);
    }
    return r.data;
  });
  const ownTypes = new Set(parsed.map((c) => c.type));
  return [...defaults.filter((c) => !ownTypes.has(c.type)), ...parsed];
}

function soleName(ports: Record<string, unknown>, node: OperatorNode, kind: string): string {
  const names = Object.keys(ports);
  if (names.length !== 1) {
    throw new GraphError(`operator '${node.name}' (${node.type}) has ${names.length} ${kind} ports (${names.join(', ') || 'none'}); name the port pair in the flow`, ['flows', node.name]);
  }
  return names[0];
}

function portList(ports: Record<string, unknown>): string {
  const names = Object.keys(ports);
  return names.length ? names.join(', ') : '(none)';
}
