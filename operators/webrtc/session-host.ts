import type { SessionStats, VideoFrame } from '../messages/index.ts';
import type { CodecName } from './codecs.ts';
import type { PictureMeta } from './decode-pipeline.ts';
import type { EncodedFrame } from './frame-assembler.ts';

/** What a host tells WebRTCClientOp about its sessions; each call carries the session's id. */
export interface SessionEvents {
  onPicture(frame: VideoFrame, meta: PictureMeta): void;
  /** Each assembled compressed frame, with the size of the session's latest picture (0 before the first). */
  onEncoded(sessionId: string, codec: CodecName, frame: EncodedFrame, width: number, height: number): void;
  /** The session ended (`codec`: what it last received, null if nothing). Called once per answered session. */
  onClosed(sessionId: string, reason: string, codec: CodecName | null): void;
}

/** One answered or opening session's whereabouts, for /stats. */
export interface SessionWorkerStats {
  /** 1, 2, ... as in the sessions' `sessionWorker`. */
  index: number;
  threadId: number;
  sessions: number;
  /** node-av decoders open on that thread (null while it is still loading). */
  decoders: number | null;
  /** How many times this worker was replaced after dying. */
  restarts: number;
  /** A replacement still loading its modules: it takes sessions once loaded. */
  loading?: true;
}

/**
 * Where WebRTCClientOp's sessions live: on the operator's own thread (`LocalSessions`) or spread over
 * worker threads (`WorkerSessions`, `session_workers` > 0). The op keeps signaling rules (limits, 404s,
 * replies) and the graph side (latest-picture slots, the encoded outbox); a host keeps the sessions.
 */
export interface SessionHost {
  /** Resolves when the host can take sessions (session workers have loaded their modules). */
  started(): Promise<void>;
  /** Sessions answered or being answered: each holds a `max_sessions` place. */
  readonly size: number;
  has(sessionId: string): boolean;
  /** Answers an offer (`waitForGathering` as in WebRTCSession.open); throws a SignalingError for a bad offer. */
  open(sessionId: string, offerSdp: string, waitForGathering: 'complete' | 'host'): Promise<string>;
  addFragment(sessionId: string, fragment: string): Promise<void>;
  addCandidate(sessionId: string, candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }): Promise<void>;
  close(sessionId: string, reason: string): Promise<void>;
  stats(): Promise<SessionStats[]>;
  /** Session workers and what each holds; empty on the operator's thread. */
  workers(): Promise<SessionWorkerStats[]>;
  /** Ends every session and gives back every thread, socket and decoder; later opens are refused. */
  closeAll(reason: string): Promise<void>;
}
