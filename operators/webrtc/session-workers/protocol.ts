import type { SessionStats } from '../../messages/index.ts';
import type { CodecName } from '../codecs.ts';
import type { PictureMeta } from '../decode-pipeline.ts';
import type { SessionOptions } from '../session.ts';
import type { SharedPicture } from './picture-transfer.ts';

/** What a session worker starts with: its place in the pool and the sessions' options (plain data). */
export interface SessionWorkerData {
  readonly index: number;
  readonly options: Omit<SessionOptions, 'packetFilter'>;
}

type Candidate = { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null };

/** Requests to a session worker; each is answered by a `reply` with its `rid`. */
export type ToSessionWorker =
  | { t: 'open'; rid: number; id: string; sdp: string; waitForGathering: 'complete' | 'host' }
  | { t: 'fragment'; rid: number; id: string; fragment: string }
  | { t: 'candidate'; rid: number; id: string; candidate: Candidate }
  | { t: 'close'; rid: number; id: string; reason: string }
  | { t: 'stats'; rid: number }
  /** Ends every session and frees what they hold; the reply says what is still open (0 decoders expected). */
  | { t: 'shutdown'; rid: number; reason: string }
  /** Test seam: the worker throws an uncaught error, as a bug in werift or node-av would. */
  | { t: 'fault'; message: string };

export type ReplyValue =
  | { answer: string }
  | { stats: SessionStats[]; decoders: number }
  | { decoders: number }
  | Record<string, never>;

export type FromSessionWorker =
  | { t: 'ready' }
  | { t: 'reply'; rid: number; ok: true; value: ReplyValue }
  /** `status`: a SignalingError's (4xx); 500 for anything else. */
  | { t: 'reply'; rid: number; ok: false; status: number; error: string }
  /** A decoded picture in the session's shared ring. */
  | { t: 'picture'; meta: PictureMeta; picture: SharedPicture }
  | { t: 'encoded'; id: string; codec: CodecName; width: number; height: number; frame: { data: Uint8Array; keyframe: boolean; rtpTimestamp: number; arrivalTime: number; packets: number } }
  | { t: 'closed'; id: string; reason: string; codec: CodecName | null }
  | { t: 'log'; level: 'info' | 'warn' | 'debug'; message: string }
  /** An uncaught error: the worker is ending (it first lets its decodes in flight finish). */
  | { t: 'fatal'; name: string; message: string; stack?: string };
