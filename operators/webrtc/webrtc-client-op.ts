import { randomUUID } from 'node:crypto';
import { defineOperator, port, type Logger } from '../../framework/index.ts';
import { EncodedFrame, Signaling, VideoFrame, failureReply, replyOnce, toRTCIceServer, type SessionStats, type SignalingRequest } from '../messages/index.ts';
import type { PictureMeta } from './decode-pipeline.ts';
import { EncodedOutbox } from './encoded-outbox.ts';
import { EndedSessions } from './ended-sessions.ts';
import { LatestFrameSlots } from './latest-frame-slots.ts';
import { LocalSessions } from './local-sessions.ts';
import { WebRTCClientParams, sessionWorkerCount } from './params.ts';
import type { SessionEvents, SessionHost } from './session-host.ts';
import { WorkerSessions } from './session-workers/worker-sessions.ts';
import { sessionOptionsFrom } from './session.ts';
import { startStatusLine } from './status-line.ts';

interface ClientState {
  /** Where the sessions live: this thread, or session workers; made in start(). */
  host: SessionHost | null;
  slots: LatestFrameSlots<VideoFrame, PictureMeta>;
  /** Every assembled compressed frame, in order, for the `encoded` output. */
  encoded: EncodedOutbox;
  ended: EndedSessions;
  /** The newest /stats figures, for the status line (session workers answer asynchronously). */
  lastStats: SessionStats[];
  stopped: boolean;
  stopStatusLine: (() => void) | null;
}

/**
 * Receives browser (or WHIP publisher) video over WebRTC and emits decoded frames.
 *
 * Signaling requests arrive on `signaling` (any source: the web server's `/offer` and WHIP endpoints, a
 * test); each session decodes on its own and parks its newest picture in a slot, then notifies. A compute
 * answers what signaling is queued and emits the picture that has waited longest, one per compute, so
 * every session gets its turn and a full downstream queue simply lets newer pictures replace older ones.
 * The `encoded` output carries every compressed frame as assembled, before decoding, for recorders and
 * relays; decoding is the same whether or not anything is connected to it.
 *
 * With `session_workers` > 0 the sessions live on worker threads this operator owns (each one whole:
 * peer connection and socket, assembler, decoder), and only signaling and finished pictures pass through
 * this thread; the operator itself stays on the main thread.
 */
export const WebRTCClientOp = defineOperator({
  name: 'WebRTCClientOp',
  description: 'WebRTC receiver: answers offers (seed /offer and WHIP), depacketizes and decodes video to VideoFrames, on its own thread or on session worker threads',
  mainThreadOnly: 'its peer connections own UDP sockets and timers (or it owns the session worker threads that do), and Signaling replies are functions, which cannot cross threads',
  params: WebRTCClientParams,
  inputs: {
    // A deep queue: each request must reach us (its reply is awaited by an HTTP client).
    signaling: port(Signaling, { condition: 'none', capacity: 64, description: 'signaling requests, each with its reply callback' }),
  },
  outputs: {
    output: port(VideoFrame, { description: 'decoded frames; metadata: sessionId, codec, arrivalTime, decodeMs, rtpTimestamp' }),
    // Ungated: a slow consumer of compressed frames never holds up the pictures; its own queue must be deep.
    encoded: port(EncodedFrame, { condition: 'none', description: 'every assembled compressed frame before decoding (streamId = session id), and an endOfStream message when a session closes; metadata: sessionId, codec, arrivalTime, rtpTimestamp, seq' }),
  },
  conditions: [{ type: 'asynchronous' }],

  initialize(): ClientState {
    return {
      host: null,
      slots: new LatestFrameSlots(),
      encoded: new EncodedOutbox(),
      ended: new EndedSessions(),
      lastStats: [],
      stopped: false,
      stopStatusLine: null,
    };
  },

  async start(ctx) {
    const st = ctx.state;
    const options = sessionOptionsFrom(ctx.params);
    const events: SessionEvents = {
      onPicture: (frame, meta) => {
        st.slots.put(meta.sessionId, frame, meta);
        ctx.notify();
      },
      onEncoded: (id, codec, frame, width, height) => {
        st.encoded.push(id, codec, frame, width, height);
        ctx.notify();
      },
      onClosed: (id, reason, codec) => {
        st.slots.remove(id);
        st.ended.add(id, reason);
        if (codec) { st.encoded.end(id, codec); ctx.notify(); }
      },
    };
    const workers = sessionWorkerCount(ctx.params.session_workers);
    st.host = workers > 0 ? new WorkerSessions(workers, options, events, ctx.log, ctx.stopTimeoutMs) : new LocalSessions(options, events, ctx.log);
    if (workers > 0) {
      await st.host.started();
      ctx.log.info(`sessions on ${workers} session worker thread(s)`);
    }
    if (ctx.params.status_line) {
      const refresh = setInterval(() => { void statsOf(st).then((s) => { st.lastStats = s; }, () => undefined); }, ctx.params.status_interval_ms);
      refresh.unref();
      const stopLine = startStatusLine(() => st.lastStats, ctx.params.status_interval_ms);
      st.stopStatusLine = () => { clearInterval(refresh); stopLine(); };
    }
  },

  compute({ signaling }, emit, ctx) {
    const st = ctx.state;
    if (signaling) {
      handleRequest(signaling, st, ctx.params.max_sessions, ctx.params.ice_servers, ctx.log);
      // More requests may be queued behind this one; a message only wakes us once.
      ctx.notify();
    }
    // All of them, in order: a recording cannot skip a compressed frame the way a display skips a picture.
    for (const { frame, meta } of st.encoded.drain()) emit.encoded(frame, { ...meta });
    const next = st.slots.take();
    if (next) emit.output(next.value, { ...next.meta });
    if (st.slots.size > 0) ctx.notify();
  },

  async stop(ctx) {
    const st = ctx.state;
    st.stopped = true;
    st.stopStatusLine?.();
    await st.host?.closeAll('application stopping');
    st.slots.clear();
    st.encoded.clear();
  },
});

/** Each session's figures, with how many of its pictures a newer one replaced before the graph took them. */
async function statsOf(st: ClientState): Promise<SessionStats[]> {
  const stats = await (st.host?.stats() ?? Promise.resolve([]));
  return stats.map((s) => ({ ...s, superseded: st.slots.supersededCount(s.id) }));
}

function handleRequest(req: SignalingRequest, st: ClientState, maxSessions: number, iceServers: WebRTCClientParams['ice_servers'], log: Logger): void {
  const reply = replyOnce(req.reply, log);
  const host = st.host;
  if (st.stopped || !host) { reply({ ok: false, status: 503, error: 'the WebRTC client is stopping' }); return; }
  const answered = (p: Promise<unknown>, sessionId: string) => p.then(() => reply({ ok: true, sessionId }), (err) => reply(failureReply(err)));
  const known = (id: string): boolean => {
    if (!host.has(id)) reply({ ok: false, status: 404, error: `no session '${id}'` });
    return host.has(id);
  };
  switch (req.kind) {
    case 'offer':
    case 'whip-offer': {
      if (host.size >= maxSessions) {
        reply({ ok: false, status: 429, error: `too many sessions (max_sessions is ${maxSessions})` });
        return;
      }
      const id = randomUUID();
      host.open(id, req.sdp, req.kind === 'offer' ? 'complete' : 'host').then((sdp) => reply({ ok: true, sessionId: id, sdp }), (err) => reply(failureReply(err)));
      return;
    }
    case 'trickle':
      if (known(req.sessionId)) void answered(host.addFragment(req.sessionId, req.fragment), req.sessionId);
      return;
    case 'candidate':
      if (known(req.sessionId)) void answered(host.addCandidate(req.sessionId, req.candidate), req.sessionId);
      return;
    case 'close':
      if (known(req.sessionId)) void answered(host.close(req.sessionId, 'closed by the peer'), req.sessionId);
      return;
    case 'config':
      reply({ ok: true, configuration: { iceServers: iceServers.map(toRTCIceServer) } });
      return;
    case 'stats':
      Promise.all([statsOf(st), host.workers()]).then(
        ([stats, workers]) => reply({ ok: true, stats, ended: st.ended.list(), ...(workers.length ? { sessionWorkers: workers as unknown as Record<string, unknown>[] } : {}) }),
        (err) => reply(failureReply(err)),
      );
      return;
    default:
      reply({ ok: false, status: 400, error: `unknown signaling request kind '${(req as { kind: unknown }).kind}'` });
  }
}
