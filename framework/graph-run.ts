import { OperatorError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { NodeRuntime, OperatorNode } from './operator-node.ts';
import { RunQueue } from './run-queue.ts';
import { DataFlowTracker } from './tracking.ts';

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

const DEFAULT_STOP_TIMEOUT_MS = 5000;

/**
 * One run of an application's graph, from start to shutdown: the run queue, the end-of-run test, the
 * signal handlers and the first failure live here, so `Application` holds only the graph. Made fresh
 * for every `run()`; `execute()` resolves when the run is over and every started operator has stopped.
 */
export class GraphRun {
  readonly tracker: DataFlowTracker | null;
  private readonly runQueue = new RunQueue();
  private readonly abort = new AbortController();
  private readonly stopTimeoutMs: number;
  private failure: OperatorError | null = null;
  private ended = false;
  private resolveEnded!: (reason: string) => void;
  private readonly endedReason = new Promise<string>((resolve) => { this.resolveEnded = resolve; });

  constructor(
    /** The graph's operators in topological order. */
    private readonly nodes: readonly OperatorNode[],
    private readonly options: RunOptions,
    private readonly log: Logger,
  ) {
    this.tracker = options.track ? new DataFlowTracker() : null;
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.runQueue.idleHook = this.scheduleEndCheck;
  }

  /**
   * The end-of-run check, at most once per microtask turn: an Observable pushing synchronously drains
   * the run queue once per value, and one check after the burst decides the same as one per value.
   */
  private endCheckScheduled = false;
  private readonly scheduleEndCheck = (): void => {
    if (this.endCheckScheduled || this.ended) return;
    this.endCheckScheduled = true;
    queueMicrotask(this.runEndCheck);
  };
  private readonly runEndCheck = (): void => {
    this.endCheckScheduled = false;
    if (!this.runQueue.busy) this.endIfNothingCanRun();
  };

  /** Runs the graph to its end; rejects with the first OperatorError after everything has stopped. */
  async execute(): Promise<void> {
    this.attachNodes();
    this.installSignalHandlers();
    try {
      await this.startOperators();
      if (!this.ended) await this.startScheduling();
      const reason = await this.endedReason;
      this.log.debug(`stopping: ${reason}`);
    } catch (e) {
      this.recordFailure(e instanceof OperatorError ? e : new OperatorError('?', '?', 'start', e));
    } finally {
      await this.shutdown();
      this.removeSignalHandlers();
    }
    if (this.failure) throw this.failure;
  }

  /** Ends the run (first reason wins): the run queue stops and shutdown begins. */
  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.runQueue.stop();
    this.resolveEnded(reason);
  }

  private recordFailure(err: OperatorError): void {
    if (!this.failure) this.failure = err;
    this.end(err.message);
  }

  private attachNodes(): void {
    const runtime: NodeRuntime = {
      runQueue: this.runQueue,
      stopTimeoutMs: this.stopTimeoutMs,
      tracker: this.tracker,
      validateMessages: this.options.validateMessages === true,
      signal: this.abort.signal,
      fail: (err) => this.recordFailure(err),
      requestStop: (reason) => this.end(reason),
      settled: this.scheduleEndCheck,
    };
    for (const n of this.nodes) n.attach(runtime);
  }

  /** initialize() every operator, then start() each, in topological order; stops early if the run ended. */
  private async startOperators(): Promise<void> {
    for (const n of this.nodes) {
      try { await n.initialize(); } catch (e) { throw new OperatorError(n.name, n.type, 'initialize', e); }
      if (this.ended) return;
    }
    for (const n of this.nodes) {
      if (this.ended) return;
      try { await n.start(); } catch (e) { throw new OperatorError(n.name, n.type, 'start', e); }
    }
  }

  private async startScheduling(): Promise<void> {
    for (const n of this.nodes) this.runQueue.enqueue(n);
    this.runQueue.open();
    for (const n of this.nodes) {
      if (this.ended) return;
      try { await n.afterStart(); } catch (e) { throw new OperatorError(n.name, n.type, 'start', e); }
    }
    this.runQueue.drain();
  }

  /**
   * The run is over when no operator can ever compute again. Before that, operators that reached their
   * own end of stream get their endOfStream hook (a pipe flushes) and their taps complete.
   */
  private endIfNothingCanRun(): void {
    if (this.ended) return;
    const memo = new Map<OperatorNode, boolean>();
    if (this.watching && this.endStreams(memo)) return;
    if (this.nodes.every((n) => canNeverRunAgain(n, memo))) this.end('no operator can run again');
  }

  /** Whether any operator may still need its end of stream signalled; cleared when none does. */
  private watching = true;

  /**
   * Calls endOfStream on operators that can compute no more (in topological order, so a flush lands
   * before its consumers are judged) and completes the taps of those that can emit no more. Returns
   * true when it called a hook, having checked again afterwards (the hook may have emitted).
   */
  private endStreams(memo: Map<OperatorNode, boolean>): boolean {
    const reachedEnd: OperatorNode[] = [];
    let anyWatched = false;
    for (const n of this.nodes) {
      if (!n.watched) continue;
      anyWatched = true;
      if (n.endOfStream === 'waiting') {
        if (!n.inFlight && n.exhausted((u) => canNeverRunAgain(u, memo))) reachedEnd.push(n);
      } else if (canNeverRunAgain(n, memo)) {
        n.closeTaps();
      }
    }
    this.watching = anyWatched;
    if (reachedEnd.length === 0) return false;
    for (const n of reachedEnd) n.beginEndOfStream();
    this.endIfNothingCanRun();
    return true;
  }

  /** A tap was added during the run: its operator is watched for its end of stream. */
  watch(): void {
    this.watching = true;
    if (!this.runQueue.busy) this.endIfNothingCanRun();
  }

  /** Stops everything started: waits (bounded) for computes in flight, then stop() in reverse order. */
  private async shutdown(): Promise<void> {
    this.end('shutting down');
    for (const n of this.nodes) n.beginShutdown();
    this.abort.abort();
    for (const n of this.nodes) n.clearTimer();
    await this.waitForComputes();
    for (const n of [...this.nodes].reverse()) {
      try {
        await n.stop();
      } catch (e) {
        const err = new OperatorError(n.name, n.type, 'stop', e);
        this.log.error(err.message);
        if (!this.failure) this.failure = err;
      }
    }
    for (const n of this.nodes) n.closeTaps();
  }

  private async waitForComputes(): Promise<void> {
    const pending = this.nodes.map((n) => n.pending).filter((p): p is Promise<void> => p !== null);
    if (pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), this.stopTimeoutMs); });
    const result = await Promise.race([Promise.allSettled(pending), timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      const busy = this.nodes.filter((n) => n.pending).map((n) => n.name).join(', ');
      this.log.warn(`computes still running after ${this.stopTimeoutMs} ms: ${busy}; stopping anyway`);
    }
  }

  // ------------------------------------------------------------------ signals

  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (this.ended) {
      this.log.warn(`${sig} again: exiting now`);
      process.exit(130);
    }
    this.log.info(`${sig}: stopping`);
    this.end(sig);
  };

  private installSignalHandlers(): void {
    if (!this.options.handleSignals) return;
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  private removeSignalHandlers(): void {
    if (!this.options.handleSignals) return;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/**
 * True when `n` is idle and no future event can make it compute: its own conditions rule it out, or
 * what it waits for comes from operators that can never run again. Memoized per check; the graph is
 * acyclic, and the `false` placed first guards against re-entry all the same.
 */
function canNeverRunAgain(n: OperatorNode, memo: Map<OperatorNode, boolean>): boolean {
  const known = memo.get(n);
  if (known !== undefined) return known;
  memo.set(n, false);
  const result = !n.inFlight && n.endOfStream === 'done' && n.exhausted((neighbour) => canNeverRunAgain(neighbour, memo));
  memo.set(n, result);
  return result;
}
