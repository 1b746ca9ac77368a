import { Worker } from 'node:worker_threads';
import { SignalingError } from '../../messages/index.ts';
import type { FromSessionWorker, ReplyValue, SessionWorkerData, ToSessionWorker } from './protocol.ts';

const BOOTSTRAP = new URL('./worker-bootstrap.mjs', import.meta.url);
/** How long a worker that reported a fatal error may take to close its sessions and end before it is terminated. */
const FATAL_EXIT_MS = 5000;

type Request = ToSessionWorker extends infer T ? T extends { rid: number } ? Omit<T, 'rid'> : never : never;
type Message = Exclude<FromSessionWorker, { t: 'reply' } | { t: 'ready' } | { t: 'fatal' }>;

/**
 * One session worker thread seen from the operator's thread: requests answered by id, the worker's own
 * messages (pictures, closed sessions, logs) handed to `onMessage`, and its death told once with a reason
 * that names it. Sessions live in the thread; this handle only knows which ids it placed there.
 */
export class SessionWorker {
  /** Sessions placed on this worker (opening or open). */
  readonly sessions = new Set<string>();
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve(v: ReplyValue): void; reject(e: Error): void }>();
  private nextRid = 1;
  private lastError: Error | null = null;
  private ending = false;
  /** Set once the thread loaded its modules; a thread that dies before that cannot serve at all. */
  ready = false;
  dead: string | null = null;
  /** Resolves once the thread loaded its modules (werift, node-av: seconds on a busy machine); rejects if it dies first. */
  readonly loaded: Promise<void>;
  private markLoaded!: () => void;
  private failLoading!: (err: Error) => void;

  constructor(
    readonly index: number,
    data: Omit<SessionWorkerData, 'index'>,
    onMessage: (msg: Message) => void,
    onDeath: (reason: string, wasReady: boolean) => void,
  ) {
    this.loaded = new Promise<void>((resolve, reject) => { this.markLoaded = resolve; this.failLoading = reject; });
    this.loaded.catch(() => undefined);
    this.worker = new Worker(BOOTSTRAP, { workerData: { ...data, index } satisfies SessionWorkerData, name: `holots session worker ${index}` });
    this.worker.on('message', (msg: FromSessionWorker) => {
      if (msg.t === 'ready') { this.ready = true; this.markLoaded(); return; }
      if (msg.t === 'fatal') {
        this.lastError = Object.assign(new Error(msg.message), { name: msg.name, stack: msg.stack });
        this.die(onDeath);
        // It ends itself once its decodes are done; terminate it if it does not.
        setTimeout(() => { void this.worker.terminate(); }, FATAL_EXIT_MS).unref();
        return;
      }
      if (this.dead) return;
      if (msg.t !== 'reply') { onMessage(msg); return; }
      const p = this.pending.get(msg.rid);
      if (!p) return;
      this.pending.delete(msg.rid);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(msg.status < 500 ? new SignalingError(msg.status, msg.error) : new Error(msg.error));
    });
    this.worker.on('error', (err) => { this.lastError = err; });
    this.worker.on('exit', (code) => { this.exitCode = code; this.die(onDeath); });
  }

  private exitCode: number | null = null;

  /** Once, on the first sign: its `fatal` message or its exit. */
  private die(onDeath: (reason: string, wasReady: boolean) => void): void {
    if (this.dead) return;
    const reason = `session worker ${this.index} died: ${this.lastError ? `uncaught ${this.lastError.name}: ${this.lastError.message}` : `it exited with code ${this.exitCode}`}`;
    this.dead = reason;
    this.failLoading(new Error(reason));
    for (const p of this.pending.values()) p.reject(new SignalingError(503, reason));
    this.pending.clear();
    if (!this.ending) onDeath(reason, this.ready);
  }

  get threadId(): number { return this.worker.threadId; }

  request<V extends ReplyValue>(msg: Request): Promise<V> {
    if (this.dead) return Promise.reject(new SignalingError(503, this.dead));
    const rid = this.nextRid++;
    return new Promise<V>((resolve, reject) => {
      this.pending.set(rid, { resolve: resolve as (v: ReplyValue) => void, reject });
      this.worker.postMessage({ ...msg, rid });
    });
  }

  /** Test seam: makes the thread throw an uncaught error. */
  fault(message: string): void { this.worker.postMessage({ t: 'fault', message } satisfies ToSessionWorker); }

  /**
   * Ends the sessions (each frees its socket and decoder), then the thread. A worker that does not answer
   * within `timeoutMs` is terminated anyway. Resolves with how many decoders it still had open (0, or -1
   * when it never answered).
   */
  async end(reason: string, timeoutMs: number): Promise<number> {
    this.ending = true;
    let decoders = -1;
    if (!this.dead) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((r) => { timer = setTimeout(() => r(null), timeoutMs); });
      const reply = await Promise.race([this.request<{ decoders: number }>({ t: 'shutdown', reason }).catch(() => null), timeout]);
      clearTimeout(timer);
      if (reply) decoders = reply.decoders;
    }
    await this.worker.terminate();
    return decoders;
  }
}
