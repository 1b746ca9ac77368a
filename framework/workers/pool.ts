import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { fromFailure, type FromThread, type ThreadData, type ToThread } from './protocol.ts';

/** A pool's settings, as YAML's `pools: { cv: { threads: 2 } }` and `app.addPool('cv', { threads: 2 })` give them. */
export const PoolOptions = z.object({
  threads: z.number().int().min(1).max(64).describe('worker threads in the pool; an operator on it runs up to this many computes at once'),
}).strict();
export type PoolOptions = z.input<typeof PoolOptions>;

/** The bootstrap registers tsx in the thread (as bin/holots.js does), then loads thread.ts. */
const BOOTSTRAP = new URL('./thread-bootstrap.mjs', import.meta.url);

/** A worker thread ended while the application still needed it. */
export class WorkerDiedError extends Error {
  constructor(readonly pool: string, readonly thread: number, detail: string) {
    super(`worker thread ${thread} of pool '${pool}' died: ${detail}`);
    this.name = 'WorkerDiedError';
  }
}

interface Pending {
  resolve(reply: Extract<FromThread, { t: 'reply' }>): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** The last uncaught error the thread reported, told with its exit. */
  lastError: Error | null;
  dead: boolean;
}

type EventHandler = (event: Extract<FromThread, { t: 'event' }>) => void;

/**
 * N worker threads, started on first use and ended by `terminate()`. Requests are answered in
 * whatever order the thread finishes them (ids match them up). A thread that exits or throws while
 * the pool is in use rejects what it had pending and tells every listener, naming itself.
 */
export class WorkerPool {
  readonly threads: number;
  private live: Thread[] | null = null;
  private nextId = 1;
  private terminating = false;
  private readonly eventHandlers = new Map<string, EventHandler>();
  private readonly deathListeners = new Set<(err: WorkerDiedError) => void>();
  /** How many threads this pool has ever started (tests check that nothing starts on a wrong graph). */
  startedThreads = 0;

  constructor(readonly name: string, options: PoolOptions) {
    this.threads = PoolOptions.parse(options).threads;
  }

  /** Routes an operator's context events (notify, disable, stopApp) to its main-thread node. */
  onEvent(op: string, handler: EventHandler): void { this.eventHandlers.set(op, handler); }
  onDeath(listener: (err: WorkerDiedError) => void): () => void {
    this.deathListeners.add(listener);
    return () => this.deathListeners.delete(listener);
  }

  /** Starts the threads if they are not running (idempotent). */
  start(): void {
    if (this.live) return;
    this.terminating = false;
    this.live = Array.from({ length: this.threads }, (_, index) => this.spawn(index));
  }

  request(thread: number, msg: DistributiveOmit<ToThread, 'id'>, transfer: ArrayBuffer[] = []): Promise<Extract<FromThread, { t: 'reply' }>> {
    const th = this.live?.[thread];
    if (!th) return Promise.reject(new Error(`pool '${this.name}' is not running`));
    if (th.dead) return Promise.reject(new WorkerDiedError(this.name, thread, 'it had already exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      th.pending.set(id, { resolve, reject });
      try {
        th.worker.postMessage({ ...msg, id }, transfer);
      } catch (e) {
        th.pending.delete(id);
        // A value structured clone cannot carry (a function, a socket): say what could not cross.
        reject(new Error(`cannot send to worker thread ${thread} of pool '${this.name}': ${(e as Error).message}`));
      }
    });
  }

  alive(thread: number): boolean {
    const th = this.live?.[thread];
    return th !== undefined && !th.dead;
  }

  /** Ends every thread; what they still had pending is abandoned (the application is stopping). */
  async terminate(): Promise<void> {
    const live = this.live;
    if (!live) return;
    this.terminating = true;
    this.live = null;
    await Promise.all(live.map(async (th) => {
      for (const p of th.pending.values()) p.reject(new Error(`pool '${this.name}' was terminated`));
      th.pending.clear();
      if (!th.dead) await th.worker.terminate();
    }));
  }

  private spawn(index: number): Thread {
    const data: ThreadData = { pool: this.name, index };
    const worker = new Worker(BOOTSTRAP, { workerData: data });
    this.startedThreads++;
    const th: Thread = { worker, pending: new Map(), lastError: null, dead: false };
    worker.on('message', (msg: FromThread) => {
      if (msg.t === 'event') {
        this.eventHandlers.get(msg.op)?.(msg);
        return;
      }
      const p = th.pending.get(msg.id);
      if (!p) return;
      th.pending.delete(msg.id);
      p.resolve(msg);
    });
    worker.on('error', (err) => { th.lastError = err; });
    worker.on('messageerror', (err) => { th.lastError = err; });
    worker.on('exit', (code) => {
      th.dead = true;
      if (this.terminating) return;
      const detail = th.lastError ? `uncaught ${th.lastError.name}: ${th.lastError.message}` : `it exited with code ${code}`;
      const err = new WorkerDiedError(this.name, index, detail);
      if (th.lastError?.stack) err.stack = `${err.name}: ${err.message}\n  thread error: ${th.lastError.stack}`;
      for (const p of th.pending.values()) p.reject(err);
      th.pending.clear();
      for (const l of this.deathListeners) l(err);
    });
    return th;
  }
}

/** Rejects a reply that carries an error, so callers get an Error with the worker's stack. */
export function unwrapReply(reply: Extract<FromThread, { t: 'reply' }>): Extract<FromThread, { t: 'reply' }> {
  if (reply.error) throw fromFailure(reply.error);
  return reply;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
