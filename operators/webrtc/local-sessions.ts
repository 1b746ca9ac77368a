import { SignalingError, type SessionStats } from '../messages/index.ts';
import type { SessionEvents, SessionHost, SessionWorkerStats } from './session-host.ts';
import { WebRTCSession, type SessionHandlers, type SessionOptions } from './session.ts';

/**
 * Sessions on the calling thread: the operator's own (session_workers 0) or one session worker's. Each
 * session is a WebRTCSession (peer connection, assembler, decoder); this keeps the set of them.
 */
export class LocalSessions implements SessionHost {
  private readonly sessions = new Map<string, WebRTCSession>();
  private readonly opening = new Map<string, Promise<unknown>>();
  private stopping = false;

  constructor(private readonly options: SessionOptions, private readonly events: SessionEvents, private readonly log: SessionHandlers['log']) {}

  async started(): Promise<void> {}
  get size(): number { return this.sessions.size + this.opening.size; }
  has(id: string): boolean { return this.sessions.has(id); }

  async open(id: string, offerSdp: string, waitForGathering: 'complete' | 'host'): Promise<string> {
    if (this.stopping) throw new SignalingError(503, 'the WebRTC client is stopping');
    const opening = WebRTCSession.open(id, offerSdp, waitForGathering, this.options, {
      onPicture: (frame, meta) => { if (this.sessions.has(id)) this.events.onPicture(frame, meta); },
      onEncoded: (frame, codec) => {
        const s = this.sessions.get(id);
        if (s) this.events.onEncoded(id, codec, frame, s.width, s.height);
      },
      onClosed: (closedId, reason) => {
        const s = this.sessions.get(closedId);
        // A session that never got its answer out ends inside open(), which reports it to the caller.
        if (!s) return;
        this.sessions.delete(closedId);
        this.events.onClosed(closedId, reason, s.codec?.name ?? null);
      },
      log: this.log,
    });
    this.opening.set(id, opening);
    try {
      const { session, answer } = await opening;
      if (this.stopping) {
        await session.close('application stopping');
        throw new SignalingError(503, 'the WebRTC client is stopping');
      }
      this.sessions.set(id, session);
      return answer;
    } finally {
      this.opening.delete(id);
    }
  }

  private session(id: string): WebRTCSession {
    const s = this.sessions.get(id);
    if (!s) throw new SignalingError(404, `no session '${id}'`);
    return s;
  }

  async addFragment(id: string, fragment: string): Promise<void> { await this.session(id).addFragment(fragment); }
  addCandidate(id: string, candidate: Parameters<WebRTCSession['addCandidate']>[0]): Promise<void> { return this.session(id).addCandidate(candidate); }
  close(id: string, reason: string): Promise<void> { return this.session(id).close(reason); }
  async stats(): Promise<SessionStats[]> { return this.statsNow(); }
  statsNow(): SessionStats[] { return [...this.sessions.values()].map((s) => s.stats()); }
  async workers(): Promise<SessionWorkerStats[]> { return []; }

  async closeAll(reason: string): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.opening.values()]);
    await Promise.allSettled([...this.sessions.values()].map((s) => s.close(reason)));
    this.sessions.clear();
  }
}
