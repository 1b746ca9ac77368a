import type { Logger } from '../../../framework/index.ts';
import { SignalingError, type SessionStats } from '../../messages/index.ts';
import type { CodecName } from '../codecs.ts';
import type { SessionEvents, SessionHost, SessionWorkerStats } from '../session-host.ts';
import type { SessionOptions } from '../session.ts';
import { PictureRingReader } from './picture-transfer.ts';
import { SessionWorker } from './session-worker.ts';

/** Hosts running now, so a test can reach a worker (fault injection) without a parameter for it. */
const running = new Set<WorkerSessions>();
export const runningSessionWorkerHosts = (): readonly WorkerSessions[] => [...running];

/**
 * Sessions spread over worker threads (`session_workers` > 0). A worker holds whole sessions; a new
 * session goes to the worker holding the fewest, and every later request for it (trickle, close) to
 * the worker that holds it. Pictures arrive through each session's shared ring (picture-transfer.ts).
 *
 * A worker that dies (an uncaught error in werift, node-av or our code there) ends its sessions with a
 * reason naming it, and is replaced; sessions on other workers go on. A worker that dies before it
 * ever loaded is not replaced (it would only die again); the others take new sessions.
 */
export class WorkerSessions implements SessionHost {
  private readonly threadsByIndex: (SessionWorker | null)[] = [];
  private readonly restarts: number[] = [];
  private readonly placed = new Map<string, SessionWorker>();
  /** Sessions whose answer went out: only those are reported as closed. */
  private readonly answered = new Set<string>();
  private readonly codecs = new Map<string, CodecName>();
  /** Each session's side of its shared picture ring. */
  private readonly rings = new Map<string, PictureRingReader>();
  private stopping = false;
  private readonly options: Omit<SessionOptions, 'packetFilter'>;

  constructor(count: number, options: SessionOptions, private readonly events: SessionEvents, private readonly log: Logger, private readonly stopTimeoutMs: number) {
    // A function cannot cross to a thread; packetFilter is a seam for in-thread tests only.
    const { packetFilter, ...plain } = options;
    if (packetFilter) throw new Error('packetFilter (a test seam) works only with session_workers 0');
    // Decode on the worker's own thread, not libuv's pool: that pool is one per process and 4 threads by
    // default, so on a machine with more cores it would cap decoding at 4 of them whatever
    // session_workers says, and each decode would pay two thread hops. A worker is already off the
    // operator's thread; its sessions wait only for its own decodes.
    this.options = { ...plain, asyncDecode: false };
    for (let i = 1; i <= count; i++) { this.restarts[i - 1] = 0; this.threadsByIndex.push(this.spawn(i)); }
    running.add(this);
  }

  /** Resolves once every worker has loaded, so the first offer does not wait for that; rejects naming a worker that died loading. */
  async started(): Promise<void> {
    await Promise.all(this.threadsByIndex.map((w) => w?.loaded));
  }

  get size(): number { return this.placed.size; }
  has(id: string): boolean { return this.answered.has(id); }

  private spawn(index: number): SessionWorker {
    const w: SessionWorker = new SessionWorker(index, { options: this.options }, (msg) => {
      switch (msg.t) {
        case 'picture': {
          const id = msg.meta.sessionId;
          if (this.placed.get(id) !== w) return;
          let ring = this.rings.get(id);
          if (!ring) { ring = new PictureRingReader(); this.rings.set(id, ring); }
          // null: the worker already wrote that slot again (this thread fell a ring behind); a newer picture follows.
          const frame = ring.read(msg.picture);
          if (frame) this.events.onPicture(frame, msg.meta);
          return;
        }
        case 'encoded': {
          if (this.placed.get(msg.id) !== w) return;
          this.codecs.set(msg.id, msg.codec);
          const { data, ...rest } = msg.frame;
          this.events.onEncoded(msg.id, msg.codec, { ...rest, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) }, msg.width, msg.height);
          return;
        }
        case 'closed':
          if (this.placed.get(msg.id) !== w) return;
          this.forget(msg.id);
          this.events.onClosed(msg.id, msg.reason, msg.codec);
          return;
        case 'log':
          this.log[msg.level](`session worker ${index}: ${msg.message}`);
      }
    }, (reason, wasReady) => this.onDeath(w, reason, wasReady));
    return w;
  }

  private onDeath(w: SessionWorker, reason: string, wasReady: boolean): void {
    const ended = [...w.sessions];
    this.log.error(`${reason}; ${ended.length ? `ending its session(s) ${ended.join(', ')}` : 'it held no session'}`);
    for (const id of ended) {
      const wasAnswered = this.answered.has(id);
      const codec = this.codecs.get(id) ?? null;
      this.forget(id);
      if (wasAnswered) this.events.onClosed(id, reason, codec);
    }
    if (this.stopping || this.threadsByIndex[w.index - 1] !== w) return;
    if (!wasReady) {
      this.threadsByIndex[w.index - 1] = null;
      this.log.error(`session worker ${w.index} is not replaced: it died before it could take a session`);
      return;
    }
    this.restarts[w.index - 1]++;
    this.threadsByIndex[w.index - 1] = this.spawn(w.index);
    this.log.warn(`session worker ${w.index} replaced (restart ${this.restarts[w.index - 1]})`);
  }

  private forget(id: string): void {
    this.placed.get(id)?.sessions.delete(id);
    this.placed.delete(id);
    this.answered.delete(id);
    this.codecs.delete(id);
    this.rings.delete(id);
  }

  private live(): SessionWorker[] { return this.threadsByIndex.filter((w): w is SessionWorker => w !== null && !w.dead); }
  /** Live workers that have loaded: a replacement still loading (seconds) would hold up a stats reply. */
  private loaded(): SessionWorker[] { return this.live().filter((w) => w.ready); }

  async open(id: string, offerSdp: string, waitForGathering: 'complete' | 'host'): Promise<string> {
    if (this.stopping) throw new SignalingError(503, 'the WebRTC client is stopping');
    // A replacement still loading takes sessions only when no loaded worker is left.
    const loaded = this.loaded();
    const live = loaded.length > 0 ? loaded : this.live();
    if (live.length === 0) throw new SignalingError(503, 'no session worker is running (see the log for why they died)');
    const w = live.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
    w.sessions.add(id);
    this.placed.set(id, w);
    try {
      const { answer } = await w.request<{ answer: string }>({ t: 'open', id, sdp: offerSdp, waitForGathering });
      if (this.placed.get(id) === w) this.answered.add(id);
      return answer;
    } catch (err) {
      if (this.placed.get(id) === w) this.forget(id);
      throw err;
    }
  }

  private holder(id: string): SessionWorker {
    const w = this.answered.has(id) ? this.placed.get(id) : undefined;
    if (!w) throw new SignalingError(404, `no session '${id}'`);
    return w;
  }

  async addFragment(id: string, fragment: string): Promise<void> { await this.holder(id).request({ t: 'fragment', id, fragment }); }
  async addCandidate(id: string, candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }): Promise<void> {
    await this.holder(id).request({ t: 'candidate', id, candidate });
  }
  async close(id: string, reason: string): Promise<void> { await this.holder(id).request({ t: 'close', id, reason }); }

  private async ask(): Promise<{ w: SessionWorker; stats: SessionStats[]; decoders: number }[]> {
    const replies = await Promise.all(this.loaded().map((w) => w.request<{ stats: SessionStats[]; decoders: number }>({ t: 'stats' }).then((r) => ({ w, ...r }), () => null)));
    return replies.filter((r) => r !== null);
  }

  async stats(): Promise<SessionStats[]> {
    return (await this.ask()).flatMap(({ w, stats }) => stats.map((s) => ({ ...s, sessionWorker: w.index })));
  }

  async workers(): Promise<SessionWorkerStats[]> {
    const asked = new Map((await this.ask()).map((r) => [r.w, r.decoders]));
    return this.live().map((w) => ({
      index: w.index, threadId: w.threadId, sessions: w.sessions.size, decoders: asked.get(w) ?? null, restarts: this.restarts[w.index - 1],
      ...(w.ready ? {} : { loading: true }),
    }));
  }

  /** Test seam: the worker holding `sessionId` throws an uncaught error. */
  faultWorkerOf(sessionId: string, message: string): void { this.holder(sessionId).fault(message); }

  /** Live worker threads (tests check that none is left after stop). */
  get threads(): number { return this.live().length; }

  async closeAll(reason: string): Promise<void> {
    this.stopping = true;
    const workers = this.threadsByIndex.splice(0).filter((w): w is SessionWorker => w !== null);
    const left = await Promise.all(workers.map((w) => w.end(reason, this.stopTimeoutMs)));
    left.forEach((decoders, i) => {
      if (decoders !== 0) this.log.warn(`session worker ${workers[i].index} ${decoders < 0 ? 'did not answer its shutdown and was terminated' : `still had ${decoders} decoder(s) open when it ended`}`);
    });
    for (const id of [...this.placed.keys()]) this.forget(id);
    running.delete(this);
  }
}
