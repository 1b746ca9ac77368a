import type { Connection, Envelope } from './connection.ts';
import type { BoundedQueue } from './queue.ts';
import { parsePeriod } from './duration.ts';
import { OperatorError } from './errors.ts';
import type { Logger } from './logger.ts';
import { EMPTY_METADATA, mergeMetadata, type Metadata } from './metadata.ts';
import type { AnyOperatorDefinition, OperatorContext } from './operator.ts';
import type { RunQueue, Schedulable } from './run-queue.ts';
import type { DataFlowTracker, Trace } from './tracking.ts';
import type { ConditionSpec } from './conditions.ts';
import type { Subscriber } from 'rxjs';
import type { Tapped } from './tap.ts';
import { allProblems } from './zod-issue.ts';

export interface NodeRuntime {
  readonly runQueue: RunQueue;
  readonly stopTimeoutMs: number;
  readonly tracker: DataFlowTracker | null;
  readonly validateMessages: boolean;
  readonly signal: AbortSignal;
  fail(err: OperatorError): void;
  requestStop(reason: string): void;
  /** A compute finished or an operator's state changed in a way that may end the run. */
  settled(): void;
}

interface InputPort {
  readonly name: string;
  readonly multi: boolean;
  readonly gating: boolean;
  readonly connections: Connection[];
}

interface OutputPort {
  readonly name: string;
  readonly gating: boolean;
  readonly connections: Connection[];
  /** Observers of this port (`app.output`); they see every emit and never affect the graph. */
  taps: Subscriber<Tapped<unknown>>[];
  /** Messages emitted once the run had ended, which no operator will take. */
  undelivered: number;
}

/** The node behind an operator's context, for the framework's own relays (fragments) only. */
export const nodeOfContext = new WeakMap<object, OperatorNode>();

/**
 * The runtime side of one operator instance: its queues, its conditions and its lifecycle. The
 * conditions are evaluated in `ready()`; all must hold (AND), as in Holoscan.
 */
export class OperatorNode implements Schedulable {
  queued = false;
  started = false;
  stopped = false;
  inFlight = false;
  disabled = false;
  asyncPending = false;
  /**
   * ready() last said no because a gating output's queue was full: only then does a consumer taking a
   * message kick this operator (a kick per hop to a producer that has nothing to do costs a step).
   */
  waitingForRoom = false;
  computeCount = 0;
  /** The pending compute of an async operator, so shutdown can wait for it. */
  pending: Promise<void> | null = null;
  /** The definition's endOfStream hook: 'waiting' to be called, 'running' (its promise pending), 'done'. */
  endOfStream: 'waiting' | 'running' | 'done';
  /** The run has ended: emits go to taps and are counted, not queued. */
  private shuttingDown = false;
  /** Taps complete at this operator's end of stream or when the run ends; new ones complete at once. */
  private tapsClosed = false;

  readonly inputs: InputPort[] = [];
  readonly outputs: OutputPort[] = [];
  /** Operators feeding this one, and those it feeds; filled by the application. */
  readonly upstream = new Set<OperatorNode>();
  readonly downstream = new Set<OperatorNode>();

  protected countLeft = Infinity;
  /** What the conditions set at the start of every run (a run may use them up). */
  private readonly initialCount: number;
  private readonly initialDisabled: boolean;
  private periodMs = 0;
  protected nextDue = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly isAsync: boolean;
  protected readonly isLeaf: () => boolean;

  /**
   * The queues the conditions read, gathered at attach (the graph is fixed while it runs): per gating
   * input its connections' queues (message-available), and every gating output's queues in one list
   * (downstream-affordable).
   */
  private gatedInputQueues: BoundedQueue<Envelope>[][] = [];
  private gatedOutputQueues: BoundedQueue<Envelope>[] = [];
  private readonly anyInput: boolean;

  private state: unknown = undefined;
  protected metadata: Metadata = EMPTY_METADATA;
  protected trace: Trace | null = null;
  protected readonly emitters: Record<string, (value: unknown, meta?: Metadata) => void> = {};
  protected runtime!: NodeRuntime;
  readonly ctx: OperatorContext<unknown> & { state: unknown };

  constructor(
    readonly name: string,
    readonly def: AnyOperatorDefinition,
    readonly params: unknown,
    conditions: readonly ConditionSpec[],
    readonly log: Logger,
  ) {
    let isAsync = false;
    for (const c of conditions) {
      switch (c.type) {
        case 'count': this.countLeft = Math.min(this.countLeft, c.count); break;
        case 'periodic': this.periodMs = parsePeriod(c.period); break;
        case 'boolean': if (c.enable_tick === false) this.disabled = true; break;
        case 'asynchronous': isAsync = true; break;
      }
    }
    this.isAsync = isAsync;
    this.anyInput = def.anyInput === true;
    this.initialCount = this.countLeft;
    this.initialDisabled = this.disabled;
    this.endOfStream = def.endOfStream ? 'waiting' : 'done';
    for (const [portName, spec] of Object.entries(def.inputs)) {
      this.inputs.push({ name: portName, multi: spec.multi, gating: spec.options.condition !== 'none', connections: [] });
    }
    for (const [portName, spec] of Object.entries(def.outputs)) {
      const out: OutputPort = { name: portName, gating: spec.options.condition !== 'none', connections: [], taps: [], undelivered: 0 };
      this.outputs.push(out);
      this.emitters[portName] = (value, meta) => this.emit(out, value, meta);
    }
    this.isLeaf = () => this.outputs.every((o) => o.connections.length === 0);
    const node = this;
    this.ctx = {
      name,
      params,
      log,
      get metadata() { return node.metadata; },
      get state() { return node.state; },
      set state(v: unknown) { node.state = v; },
      notify: () => node.notify(),
      disable: () => { node.disabled = true; node.runtime?.settled(); },
      stopApp: (reason?: string) => node.runtime.requestStop(reason ?? `${name} asked to stop`),
      get signal() { return node.runtime.signal; },
      fail: (error: unknown) => node.runtime.fail(error instanceof OperatorError ? error : new OperatorError(name, node.type, 'stream', error)),
      get stopTimeoutMs() { return node.runtime.stopTimeoutMs; },
      isConnected: (portName: string) => node.isConnected(portName),
    };
    nodeOfContext.set(this.ctx, this);
  }

  /** Whether an output port has a connection or an observer now (false for an unknown port). */
  isConnected(portName: string): boolean {
    const out = this.outputs.find((o) => o.name === portName);
    return out !== undefined && (out.connections.length > 0 || out.taps.length > 0);
  }

  /** The trace of the messages the current compute took (null when not tracking). */
  get currentTrace(): Trace | null { return this.trace; }
  /** Whether the application records traces. */
  get tracking(): boolean { return this.runtime?.tracker != null; }
  /** A relay continues a trace that began in another process: the next emits carry it unchanged. */
  adoptTrace(trace: Trace | null): void {
    if (this.def.relay) this.trace = trace;
  }

  get type(): string { return this.def.name; }

  /**
   * Joins a new run: every per-run flag, counter and queue starts afresh (an application may run again
   * after its run ended: a second run is a fresh one); ports keep their connections, taps their subscribers.
   */
  attach(runtime: NodeRuntime): void {
    this.runtime = runtime;
    this.queued = false;
    this.started = false;
    this.stopped = false;
    this.inFlight = false;
    this.asyncPending = false;
    this.waitingForRoom = false;
    this.computeCount = 0;
    this.pending = null;
    this.countLeft = this.initialCount;
    this.disabled = this.initialDisabled;
    this.nextDue = 0;
    this.clearTimer();
    this.state = undefined;
    this.metadata = EMPTY_METADATA;
    this.trace = null;
    for (const p of this.inputs) for (const c of p.connections) c.queue.clear();
    this.gatedInputQueues = this.inputs.filter((p) => p.gating).map((p) => p.connections.map((c) => c.queue));
    this.gatedOutputQueues = this.outputs.filter((p) => p.gating).flatMap((p) => p.connections.map((c) => c.queue));
    this.shuttingDown = false;
    this.tapsClosed = false;
    this.endOfStream = this.def.endOfStream ? 'waiting' : 'done';
    for (const p of this.outputs) p.undelivered = 0;
  }

  /** Whether the run should watch this operator for its end of stream (a hook to call, taps to complete). */
  get watched(): boolean {
    return this.endOfStream === 'waiting' || (!this.tapsClosed && this.outputs.some((p) => p.taps.length > 0));
  }

  /** Observes an output port; see Application.output. */
  tap(portName: string, subscriber: Subscriber<Tapped<unknown>>): () => void {
    const port = this.outputPort(portName)!;
    if (this.tapsClosed) {
      subscriber.complete();
      return () => {};
    }
    port.taps = [...port.taps, subscriber];
    return () => { port.taps = port.taps.filter((t) => t !== subscriber); };
  }

  /** This operator can emit no more (its end of stream, or the run ended): its taps complete. */
  closeTaps(): void {
    if (this.tapsClosed) return;
    this.tapsClosed = true;
    for (const p of this.outputs) {
      const taps = p.taps;
      p.taps = [];
      for (const t of taps) t.complete();
    }
  }

  /** Calls the definition's endOfStream hook once; while its promise is pending the stream is not over. */
  beginEndOfStream(): void {
    if (this.endOfStream !== 'waiting') return;
    this.endOfStream = 'running';
    const settle = () => {
      this.endOfStream = 'done';
      this.runtime.settled();
    };
    let result: void | Promise<void>;
    try {
      result = this.def.endOfStream!(this.ctx, this.emitters as never);
    } catch (err) {
      this.endOfStream = 'done';
      this.runtime.fail(new OperatorError(this.name, this.type, 'stream', err));
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(settle, (err) => { this.endOfStream = 'done'; this.runtime.fail(new OperatorError(this.name, this.type, 'stream', err)); });
    } else {
      settle();
    }
  }

  /** The run ended: from now on what this operator emits reaches taps only, and is counted. */
  beginShutdown(): void { this.shuttingDown = true; }

  /** Messages per output port emitted after the run ended (taps saw them, no operator did). */
  undeliveredCounts(): Record<string, number> {
    return Object.fromEntries(this.outputs.filter((p) => p.undelivered > 0).map((p) => [p.name, p.undelivered]));
  }

  inputPort(name: string): InputPort | undefined { return this.inputs.find((p) => p.name === name); }
  outputPort(name: string): OutputPort | undefined { return this.outputs.find((p) => p.name === name); }

  async initialize(): Promise<void> {
    if (this.def.initialize) this.state = await this.def.initialize(this.ctx);
  }

  async start(): Promise<void> {
    this.started = true;
    this.nextDue = performance.now();
    await this.def.start?.(this.ctx, this.emitters as never);
  }

  async afterStart(): Promise<void> {
    await this.def.afterStart?.(this.ctx, this.emitters as never);
  }

  async stop(): Promise<void> {
    if (this.stopped || !this.started) return;
    this.stopped = true;
    this.clearTimer();
    try {
      await this.def.stop?.(this.ctx);
    } finally {
      const lost = this.undeliveredCounts();
      const ports = Object.entries(lost).map(([p, n]) => `${p}: ${n}`);
      if (ports.length) this.log.warn(`emitted after the run ended, so no operator took them (taps did): ${ports.join(', ')}`);
    }
  }

  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Asynchronous condition: an external event makes this operator ready once. */
  notify(): void {
    if (this.stopped || !this.runtime) return;
    this.asyncPending = true;
    this.runtime.runQueue.kick(this);
  }

  /** A message landed in one of this operator's queues. */
  delivered(gating: boolean): void {
    if (!gating && this.isAsync) this.asyncPending = true;
    this.runtime.runQueue.kick(this);
  }

  /** True when no future event can make this operator compute (used to detect the end of a run). */
  exhausted(finished: (n: OperatorNode) => boolean): boolean {
    if (this.disabled || this.countLeft <= 0) return true;
    // Plain loops, no closures: this runs at every end-of-run check.
    if (this.def.anyInput) {
      // Needs just one input with messages, so it ends when all of them have ended.
      let gated = 0;
      let ended = 0;
      for (const p of this.inputs) {
        if (!p.gating) continue;
        gated++;
        if (inputEnded(p, finished)) ended++;
      }
      if (gated > 0 && ended === gated) return true;
    } else {
      for (const p of this.inputs) if (p.gating && inputEnded(p, finished)) return true;
    }
    // Blocked for good: a gating output's queue is full and its consumer will never take from it.
    for (const p of this.outputs) {
      if (!p.gating) continue;
      for (const c of p.connections) if (c.queue.full && finished(c.to)) return true;
    }
    return false;
  }

  /** No further compute may start now (one in flight here; a pooled operator allows one per thread). */
  protected atCapacity(): boolean { return this.inFlight; }

  ready(): boolean {
    if (this.atCapacity() || this.disabled || this.stopped || this.countLeft <= 0) return false;
    if (this.isAsync && !this.asyncPending) return false;
    if (!this.inputsAvailable()) return false;
    if (this.gatingOutputFull()) {
      this.waitingForRoom = true;
      return false;
    }
    if (this.periodMs > 0) {
      const now = performance.now();
      if (now < this.nextDue) {
        if (!this.timer) this.timer = setTimeout(() => { this.timer = null; this.runtime.runQueue.kick(this); }, this.nextDue - now);
        return false;
      }
      // Catch up without bursting when a compute overran its period.
      this.nextDue = Math.max(this.nextDue + this.periodMs, now);
    }
    return true;
  }

  /** Downstream-affordable fails: a gating output's queue is full. */
  protected gatingOutputFull(): boolean {
    const qs = this.gatedOutputQueues;
    for (let i = 0; i < qs.length; i++) if (qs[i].full) return true;
    return false;
  }

  /**
   * Message-available holds: every gating input has a message (true without gating inputs), or for an
   * anyInput operator at least one has.
   */
  private inputsAvailable(): boolean {
    const ins = this.gatedInputQueues;
    if (this.anyInput) {
      for (let i = 0; i < ins.length; i++) if (anyMessage(ins[i])) return true;
      return false;
    }
    for (let i = 0; i < ins.length; i++) if (!anyMessage(ins[i])) return false;
    return true;
  }

  /** Called by the run queue: compute once if every condition holds. */
  step(): void {
    if (!this.ready()) return;
    this.inFlight = true;
    this.asyncPending = false;
    this.countLeft--;
    this.computeCount++;
    const inputs = this.takeInputs();
    let result: void | Promise<void>;
    try {
      result = this.def.compute(inputs as never, this.emitters as never, this.ctx as never);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      this.pending = (result as Promise<void>).then(() => this.finished(), (err) => this.failed(err));
    } else {
      this.finished();
    }
  }

  protected takeInputs(): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    let meta = EMPTY_METADATA;
    let trace: Trace | null = null;
    for (let i = 0; i < this.inputs.length; i++) {
      const p = this.inputs[i];
      if (p.multi) {
        const all: unknown[] = [];
        for (const c of p.connections) {
          let env: Envelope | undefined;
          while ((env = c.queue.shift())) {
            all.push(env.value);
            meta = mergeMetadata(meta, env.meta);
            if (env.trace && (!trace || env.trace.t0 < trace.t0)) trace = env.trace;
          }
          this.freed(c);
        }
        values[p.name] = all;
      } else {
        const c = p.connections[0];
        const env = c?.queue.shift();
        if (env) {
          values[p.name] = env.value;
          meta = mergeMetadata(meta, env.meta);
          if (env.trace && (!trace || env.trace.t0 < trace.t0)) trace = env.trace;
          this.freed(c);
        } else {
          values[p.name] = undefined;
        }
      }
    }
    this.metadata = meta;
    this.trace = trace;
    return values;
  }

  /** Room appeared in a queue: the producer may be ready again, if room is what it waited for. */
  private freed(c: Connection): void {
    const producer = c.from;
    if (!producer.waitingForRoom) return;
    producer.waitingForRoom = false;
    this.runtime.runQueue.kick(producer);
  }

  private finished(): void {
    this.inFlight = false;
    this.pending = null;
    // Metadata belongs to the compute that took it: an emit between computes (a window's key, a
    // socket's message, through the emitters start got) carries only what it passes, never a stale input's.
    this.metadata = EMPTY_METADATA;
    const tracker = this.runtime.tracker;
    if (tracker && this.trace && this.isLeaf() && !this.def.relay) tracker.record(this.leafPath(this.trace.path), performance.now() - this.trace.t0);
    this.trace = null;
    // Again at once only if it could be: an input that arrived meanwhile, a notify, or a source's next turn.
    if (!this.stopped && (!this.isAsync || this.asyncPending) && this.inputsAvailable()) this.runtime.runQueue.kick(this);
    this.runtime.settled();
  }

  private readonly leafPaths = new Map<string, string>();
  /** The full path ends at this leaf; cached so tracking doesn't build a string per message. */
  protected leafPath(path: string): string {
    let full = this.leafPaths.get(path);
    if (!full) this.leafPaths.set(path, (full = `${path} -> ${this.name}`));
    return full;
  }

  protected failed(err: unknown): void {
    this.inFlight = false;
    this.pending = null;
    this.metadata = EMPTY_METADATA;
    this.runtime.fail(err instanceof OperatorError ? err : new OperatorError(this.name, this.type, 'compute', err));
  }

  private emit(port: OutputPort, value: unknown, extra?: Metadata): void {
    const portName = port.name;
    if (this.runtime.validateMessages) {
      const res = this.def.outputs[portName].type.schema.safeParse(value);
      if (!res.success) {
        throw new OperatorError(this.name, this.type, 'emit', new Error(`output '${portName}' got a value that is not a ${this.def.outputs[portName].type.name}: ${allProblems(res.error)}`));
      }
    }
    const meta = extra ? mergeMetadata(this.metadata, Object.freeze({ ...extra })) : this.metadata;
    let trace: Trace | null = null;
    if (this.runtime.tracker) {
      trace = this.trace ? (this.def.relay ? this.trace : { t0: this.trace.t0, path: this.leafPath(this.trace.path) }) : { t0: performance.now(), path: this.name };
    }
    const env: Envelope = { value, meta, trace };
    const taps = port.taps;
    if (taps.length > 0) {
      const tapped: Tapped<unknown> = { value, meta };
      for (let i = 0; i < taps.length; i++) taps[i].next(tapped);
    }
    if (this.shuttingDown || this.stopped) {
      if (port.connections.length > 0) port.undelivered++;
      return;
    }
    const conns = port.connections;
    for (let i = 0; i < conns.length; i++) {
      const c = conns[i];
      c.queue.push(env); // applies the connection's policy; 'fault' throws a QueueFaultError
      c.to.delivered(c.targetGating);
    }
  }
}

function anyMessage(qs: BoundedQueue<Envelope>[]): boolean {
  for (let j = 0; j < qs.length; j++) if (!qs[j].empty) return true;
  return false;
}

/** An input ended: every connection into it is empty and its producer can never run again. */
function inputEnded(p: InputPort, finished: (n: OperatorNode) => boolean): boolean {
  for (const c of p.connections) if (!c.queue.empty || !finished(c.from)) return false;
  return true;
}
