import { z } from 'zod';
import { defineMessage, type ReplyChannel } from '../../framework/index.ts';
import { PeerConfigurationSchema, type PeerConfiguration } from './ice-server.ts';

/**
 * Signaling travels over a port so that any source (the seed's `/offer`, WHIP, a WebSocket, a test)
 * can feed a WebRTC operator. Each request carries its own `reply`, which the answering operator calls
 * exactly once; the HTTP layer turns the reply into a response.
 */
export type SignalingRequest =
  /** The seed's protocol: a full offer (ICE gathered or trickled later), answer returned whole. */
  | { kind: 'offer'; sdp: string; reply: (r: SignalingReply) => void }
  /** WHIP POST: a new session from an SDP offer. */
  | { kind: 'whip-offer'; sdp: string; reply: (r: SignalingReply) => void }
  /** WHEP POST: a viewer's recvonly offer; only a sender (WebRTCServerOp, on WebServerOp's `playback` port) takes it. */
  | { kind: 'whep-offer'; sdp: string; reply: (r: SignalingReply) => void }
  /** WHIP or WHEP PATCH: trickled candidates as an SDP fragment (application/trickle-ice-sdpfrag). */
  | { kind: 'trickle'; sessionId: string; fragment: string; reply: (r: SignalingReply) => void }
  /** Seed page / JSON trickle: one candidate. */
  | { kind: 'candidate'; sessionId: string; candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }; reply: (r: SignalingReply) => void }
  /** WHIP or WHEP DELETE, or the page's Stop. */
  | { kind: 'close'; sessionId: string; reply: (r: SignalingReply) => void }
  | { kind: 'stats'; reply: (r: SignalingReply) => void }
  /** GET /config: how a page should build its RTCPeerConnection (the ICE servers the operator uses). */
  | { kind: 'config'; reply: (r: SignalingReply) => void };

export interface SessionStats {
  id: string;
  state: string;
  codec: string | null;
  width: number;
  height: number;
  framesDecoded: number;
  framesDropped: number;
  fps: number;
  [extra: string]: unknown;
}

/** A session that ended lately, and why (e.g. `closed by the peer`, `session worker 2 died: ...`). */
export interface EndedSession {
  id: string;
  reason: string;
  /** ISO time it ended. */
  endedAt: string;
  [extra: string]: unknown;
}

/** What a sender reports on the playback side: its one stream (encoder, counts) and each viewer. */
export interface PlaybackStats {
  stream: Record<string, unknown>;
  viewers: Record<string, unknown>[];
}

export type SignalingReply =
  | {
    ok: true; sessionId?: string; sdp?: string; stats?: SessionStats[]; playback?: PlaybackStats; configuration?: PeerConfiguration;
    /** With stats: the sessions that ended lately, newest last. */
    ended?: EndedSession[];
    /** With stats: the receiver's session worker threads (none when sessions run on the operator's thread). */
    sessionWorkers?: Record<string, unknown>[];
  }
  /** `status` is the HTTP-like status the caller should answer with (400 bad offer, 404 unknown session, 429 too many). */
  | { ok: false; status: number; error: string };

export const SignalingSchema = z.custom<SignalingRequest>(
  (v) => typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string' && typeof (v as { reply?: unknown }).reply === 'function',
  'a signaling request with kind and reply',
);

const SessionStatsSchema = z.object({ id: z.string() }).passthrough();
const EndedSessionSchema = z.object({ id: z.string(), reason: z.string(), endedAt: z.string() }).passthrough();

export const SignalingReplySchema = z.union([
  z.object({ ok: z.literal(true), sessionId: z.string().optional(), sdp: z.string().optional(), stats: z.array(SessionStatsSchema).optional(), configuration: PeerConfigurationSchema.optional(),
    ended: z.array(EndedSessionSchema).optional(), sessionWorkers: z.array(z.object({}).passthrough()).optional() }),
  z.object({ ok: z.literal(false), status: z.number().int().min(400).max(599), error: z.string() }),
]) as unknown as z.ZodType<SignalingReply>;

const FAILURE_STATUS = { gone: 410, unavailable: 503, timeout: 504 } as const;

/**
 * Across fragments a request is answered by one copy of the WebRTC fragment (a queue group); the copy
 * that opened a session keeps its trickle and close requests, and stats asks every copy and says which
 * one (`worker`) holds each session.
 */
const signalingReplies: ReplyChannel<SignalingRequest, SignalingReply> = {
  field: 'reply',
  schema: SignalingReplySchema,
  failed: ({ kind, message }) => ({ ok: false, status: FAILURE_STATUS[kind], error: message }),
  key: (req) => ('sessionId' in req ? req.sessionId : undefined),
  claims: (reply) => (reply.ok && reply.sessionId ? reply.sessionId : undefined),
  releases: (req) => req.kind === 'close',
  gather: (req) => req.kind === 'stats',
  merge: (replies) => ({
    ok: true,
    stats: replies.flatMap(({ instance, reply }) => (reply.ok ? (reply.stats ?? []).map((s) => ({ ...s, worker: instance })) : [])),
    ended: replies.flatMap(({ instance, reply }) => (reply.ok ? (reply.ended ?? []).map((s) => ({ ...s, worker: instance })) : [])),
    sessionWorkers: replies.flatMap(({ instance, reply }) => (reply.ok ? (reply.sessionWorkers ?? []).map((s) => ({ ...s, worker: instance })) : [])),
  }),
};

export const Signaling = defineMessage<SignalingRequest>('Signaling', SignalingSchema, 'a signaling request with its reply callback', { reply: signalingReplies });

/** An answerable failure: the HTTP layer turns `status` into the response code (400 bad offer, 404 unknown session, ...). */
export class SignalingError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'SignalingError';
  }
}

/** Wraps a request's `reply` so it runs once, whatever happens; an exception in the caller's callback is logged, not thrown. */
export function replyOnce(reply: (r: SignalingReply) => void, log: { warn(message: string): void }): (r: SignalingReply) => void {
  let done = false;
  return (r) => {
    if (done) return;
    done = true;
    try { reply(r); } catch (err) { log.warn(`a signaling reply callback threw: ${(err as Error).message}`); }
  };
}

/** The reply for a failed request: a SignalingError's own status, 500 for anything else. */
export function failureReply(err: unknown): SignalingReply {
  if (err instanceof SignalingError) return { ok: false, status: err.status, error: err.message };
  return { ok: false, status: 500, error: (err as Error)?.message ?? String(err) };
}
