import type { ConditionSpec } from '../conditions.ts';
import type { Logger } from '../logger.ts';
import { EMPTY_METADATA, type Metadata } from '../metadata.ts';
import type { AnyOperatorDefinition } from '../operator.ts';
import { OperatorNode } from '../operator-node.ts';
import type { Trace } from '../tracking.ts';
import { decodeCrossing, encodeCrossing, transferList, type Crossing } from './crossing.ts';
import { unwrapReply, type WorkerPool } from './pool.ts';
import { fromFailure, type Emitted, type ModuleRef } from './protocol.ts';

/** One compute sent to a thread, kept until its emits are delivered in input order. */
interface InFlight {
  readonly meta: Metadata;
  readonly trace: Trace | null;
  /** Null until the thread answers. */
  emits: Emitted[] | null;
}

/**
 * An operator whose computes run on a pool's worker threads. This main-thread node stays the
 * scheduling point: it holds the queues and conditions, takes the inputs when every condition holds
 * (exactly as in one thread), and sends them to an idle instance. Up to one compute per hosting thread
 * may run at once; results are delivered in the order the inputs were taken, and only when the
 * operator's gating outputs have room, as a compute on the main thread would only have started then.
 * A thread that finished ahead of an earlier compute takes the next input at once rather than idling
 * until the earlier one is delivered; answered-but-undelivered results are bounded by the thread count.
 */
export class PooledOperatorNode extends OperatorNode {
  private readonly idle: number[];
  private readonly waiting = new Map<number, InFlight>();
  /** Requests still on threads; shutdown waits on `pending` until it drops to zero. */
  private requestsOut = 0;
  private drained: Promise<void> | null = null;
  private resolveDrained: (() => void) | null = null;
  private nextSeq = 0;
  private nextDeliver = 0;
  private delivering = false;
  private stopDeathWatch: (() => void) | null = null;
  /** Inputs whose message may also sit in another queue (the upstream output fans out): copy, never move. */
  private readonly sharedInputs = new Map<string, boolean>();

  constructor(
    name: string,
    def: AnyOperatorDefinition,
    params: unknown,
    conditions: readonly ConditionSpec[],
    log: Logger,
    readonly pool: WorkerPool,
    /** The pool threads that host an instance of this operator. */
    readonly hostThreads: readonly number[],
    readonly module: ModuleRef,
  ) {
    super(name, def, params, conditions, log);
    this.idle = [...hostThreads];
  }

  override attach(runtime: Parameters<OperatorNode['attach']>[0]): void {
    super.attach(runtime);
    this.idle.splice(0, this.idle.length, ...this.hostThreads);
    this.waiting.clear();
    this.nextSeq = 0;
    this.nextDeliver = 0;
    this.delivering = false;
    this.requestsOut = 0;
    this.drained = null;
    this.resolveDrained = null;
  }

  protected override atCapacity(): boolean {
    // Computes on threads plus results held back for order: at most one of each per hosting thread.
    return this.idle.length === 0 || this.waiting.size >= 2 * this.hostThreads.length;
  }

  override async initialize(): Promise<void> {
    this.pool.start();
    // Before start, a death rejects the init/start request itself; after, it fails the running app.
    this.stopDeathWatch = this.pool.onDeath((err) => { if (this.started && !this.stopped) this.failed(err); });
    this.pool.onEvent(this.name, (ev) => {
      if (ev.kind === 'notify') this.ctx.notify();
      else if (ev.kind === 'disable') this.ctx.disable();
      else if (ev.kind === 'fail') this.ctx.fail(fromFailure(ev.error ?? { name: 'Error', message: 'failed' }));
      else if (ev.kind === 'emit') this.deliverOutOfBand(ev.emits);
      else this.ctx.stopApp(ev.reason);
    });
    for (const inp of this.inputs) {
      const shared = inp.connections.some((c) => (c.from.outputPort(c.fromPort)?.connections.length ?? 0) > 1);
      this.sharedInputs.set(inp.name, shared);
    }
    await Promise.all(this.hostThreads.map(async (thread) => {
      const reply = await this.pool.request(thread, {
        t: 'init', op: this.name, type: this.type, module: this.module, params: this.params,
        logLevel: this.log.level, logScope: `${this.name}@${this.pool.name}#${thread}`, stopTimeoutMs: this.runtime.stopTimeoutMs,
        connected: this.outputs.filter((o) => this.isConnected(o.name)).map((o) => o.name),
      });
      unwrapReply(reply);
    }));
  }

  override async start(): Promise<void> {
    // The definition's start runs on the threads, never here; what it emits is delivered now.
    this.started = true;
    this.nextDue = performance.now();
    for (const thread of this.hostThreads) {
      const reply = unwrapReply(await this.pool.request(thread, { t: 'start', op: this.name }));
      this.metadata = EMPTY_METADATA;
      this.deliverEmits(reply.emits ?? []);
    }
  }

  /** Placement refuses definitions with afterStart (pipe operators); nothing runs here. */
  override async afterStart(): Promise<void> {}

  override async stop(): Promise<void> {
    if (this.stopped || !this.started) return;
    this.stopped = true;
    this.clearTimer();
    this.stopDeathWatch?.();
    const errors: Error[] = [];
    await Promise.all(this.hostThreads.filter((t) => this.pool.alive(t)).map(async (thread) => {
      try {
        unwrapReply(await this.pool.request(thread, { t: 'stop', op: this.name }));
      } catch (e) {
        errors.push(e as Error);
      }
    }));
    if (errors.length) throw errors[0];
  }

  override step(): void {
    this.deliverInOrder();
    if (!this.ready()) return;
    const thread = this.idle.shift()!;
    this.asyncPending = false;
    this.countLeft--;
    this.computeCount++;
    const values = this.takeInputs();
    const entry: InFlight = { meta: this.metadata, trace: this.trace, emits: null };
    const seq = this.nextSeq++;
    this.waiting.set(seq, entry);
    this.inFlight = true;
    const transfer = new Set<ArrayBuffer>();
    const inputs: Record<string, Crossing> = {};
    try {
      for (const inp of this.inputs) {
        const type = this.def.inputs[inp.name].type;
        const v = values[inp.name];
        const shared = this.sharedInputs.get(inp.name) ?? true;
        inputs[inp.name] = v === undefined ? { absent: true }
          : inp.multi ? { multi: (v as unknown[]).map((x) => encodeCrossing(type, x, shared, transfer)) }
          : encodeCrossing(type, v, shared, transfer);
      }
    } catch (e) {
      this.failed(e);
      return;
    }
    const req = this.pool.request(thread, { t: 'compute', op: this.name, inputs, meta: entry.meta }, transferList(transfer));
    this.track(req.then(
      (reply) => {
        this.idle.push(thread);
        if (this.stopped) return;
        try {
          entry.emits = unwrapReply(reply).emits ?? [];
        } catch (e) {
          this.failed(e);
          return;
        }
        this.deliverInOrder();
        this.runtime.runQueue.kick(this);
        this.runtime.settled();
      },
      (err) => { if (!this.stopped) this.failed(err); },
    ));
  }

  /** Delivers answered computes in input order, each only when the gating outputs have room. */
  private deliverInOrder(): void {
    if (this.delivering) return; // an emit below may kick this node again
    this.delivering = true;
    try {
      for (;;) {
        const entry = this.waiting.get(this.nextDeliver);
        if (!entry?.emits || this.stopped) break;
        if (this.gatingOutputFull()) {
          this.waitingForRoom = true; // a consumer taking a message kicks this node, which delivers then
          break;
        }
        this.waiting.delete(this.nextDeliver++);
        this.metadata = entry.meta;
        this.trace = entry.trace;
        this.deliverEmits(entry.emits);
        const tracker = this.runtime.tracker;
        if (tracker && this.trace && this.isLeaf()) tracker.record(this.leafPath(this.trace.path), performance.now() - this.trace.t0);
        this.trace = null;
      }
    } catch (e) {
      this.failed(e);
    } finally {
      this.delivering = false;
      this.inFlight = this.waiting.size > 0;
    }
  }

  /** An emit the worker made between computes: no input's metadata or trace, like one on the main thread. */
  private deliverOutOfBand(emits: readonly Emitted[]): void {
    this.metadata = EMPTY_METADATA;
    this.trace = null;
    try {
      this.deliverEmits(emits);
    } catch (e) {
      this.failed(e);
    }
  }

  private deliverEmits(emits: readonly Emitted[]): void {
    for (const em of emits) {
      const value = decodeCrossing(this.def.outputs[em.port].type, em.value, `output '${em.port}' (from pool '${this.pool.name}')`);
      this.emitters[em.port](value, em.meta);
    }
  }

  /** Shutdown waits for the computes still on threads, as it does for a main-thread compute. */
  private track(p: Promise<unknown>): void {
    // One promise per burst of requests, not one Promise.allSettled per compute.
    if (this.requestsOut++ === 0) this.drained = new Promise<void>((resolve) => { this.resolveDrained = resolve; });
    this.pending = this.drained;
    const settle = () => {
      if (--this.requestsOut > 0) return;
      this.pending = this.drained = null;
      this.resolveDrained?.();
      this.resolveDrained = null;
    };
    p.then(settle, settle);
  }
}
