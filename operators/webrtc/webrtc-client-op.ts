import { randomUUID } from 'node:crypto';
import { defineOperator, port, type Logger } from '../../framework/index.ts';
import { EncodedFrame, Signaling, VideoFrame, failureReply, replyOnce, toRTCIceServer, type SignalingRequest } from '../messages/index.ts';
import { EncodedOutbox } from './encoded-outbox.ts';
import { LatestFrameSlots } from './latest-frame-slots.ts';
import { WebRTCClientParams } from './params.ts';
import { WebRTCSession, sessionOptionsFrom, type PictureMeta, type SessionOptions } from './session.ts';
import { startStatusLine } from './status-line.ts';

interface ClientState {
  sessions: Map<string, WebRTCSession>;
  /** Offers being answered: they hold a session place already. */
  opening: Set<Promise<void>>;
  slots: LatestFrameSlots<VideoFrame, PictureMeta>;
  /** Every assembled compressed frame, in order, for the `encoded` output. */
  encoded: EncodedOutbox;
  options: SessionOptions;
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
 */
export const WebRTCClientOp = defineOperator({
  name: 'WebRTCClientOp',
  description: 'WebRTC receiver: answers offers (seed /offer and WHIP), depacketizes and decodes video to VideoFrames',
  mainThreadOnly: 'its peer connections own UDP sockets and timers, and Signaling replies are functions, which cannot cross threads',
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

  initialize(ctx): ClientState {
    const p = ctx.params;
    return {
      sessions: new Map(),
      opening: new Set(),
      slots: new LatestFrameSlots(),
      encoded: new EncodedOutbox(),
      stopped: false,
      stopStatusLine: null,
      options: sessionOptionsFrom(p),
    };
  },

  start(ctx) {
    const st = ctx.state;
    if (ctx.params.status_line) st.stopStatusLine = startStatusLine(() => [...st.sessions.values()].map((s) => s.stats()), ctx.params.status_interval_ms);
  },

  compute({ signaling }, emit, ctx) {
    const st = ctx.state;
    if (signaling) {
      handleRequest(signaling, st, ctx.params.max_sessions, ctx.log, () => ctx.notify());
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
    await Promise.allSettled([...st.opening]);
    await Promise.allSettled([...st.sessions.values()].map((s) => s.close('application stopping')));
    st.sessions.clear();
    st.slots.clear();
    st.encoded.clear();
  },
});

function handleRequest(req: SignalingRequest, st: ClientState, maxSessions: number, log: Logger, notify: () => void): void {
  const reply = replyOnce(req.reply, log);
  if (st.stopped) { reply({ ok: false, status: 503, error: 'the WebRTC client is stopping' }); return; }
  const sessionFor = (id: string): WebRTCSession | undefined => {
    const s = st.sessions.get(id);
    if (!s) reply({ ok: false, status: 404, error: `no session '${id}'` });
    return s;
  };
  switch (req.kind) {
    case 'offer':
    case 'whip-offer': {
      if (st.sessions.size + st.opening.size >= maxSessions) {
        reply({ ok: false, status: 429, error: `too many sessions (max_sessions is ${maxSessions})` });
        return;
      }
      const id = randomUUID();
      const opening = WebRTCSession.open(id, req.sdp, req.kind === 'offer' ? 'complete' : 'host', st.options, {
        onPicture: (frame, meta) => {
          const session = st.sessions.get(id);
          if (!session) return;
          if (st.slots.put(id, frame, meta)) session.superseded++;
          notify();
        },
        onEncoded: (frame, codec) => {
          const session = st.sessions.get(id);
          if (!session) return;
          st.encoded.push(id, codec, frame, session.width, session.height);
          notify();
        },
        onClosed: (closedId) => {
          const codec = st.sessions.get(closedId)?.codec?.name;
          st.sessions.delete(closedId);
          st.slots.remove(closedId);
          if (codec) { st.encoded.end(closedId, codec); notify(); }
        },
        log,
      }).then(
        async ({ session, answer }) => {
          if (st.stopped) {
            await session.close('application stopping');
            reply({ ok: false, status: 503, error: 'the WebRTC client is stopping' });
            return;
          }
          st.sessions.set(id, session);
          reply({ ok: true, sessionId: id, sdp: answer });
        },
        (err) => reply(failureReply(err)),
      ).finally(() => st.opening.delete(opening));
      st.opening.add(opening);
      return;
    }
    case 'trickle': {
      const s = sessionFor(req.sessionId);
      if (s) s.addFragment(req.fragment).then(() => reply({ ok: true, sessionId: s.id }), (err) => reply(failureReply(err)));
      return;
    }
    case 'candidate': {
      const s = sessionFor(req.sessionId);
      if (s) s.addCandidate(req.candidate).then(() => reply({ ok: true, sessionId: s.id }), (err) => reply(failureReply(err)));
      return;
    }
    case 'close': {
      const s = sessionFor(req.sessionId);
      if (s) s.close('closed by the peer').then(() => reply({ ok: true, sessionId: s.id }), (err) => reply(failureReply(err)));
      return;
    }
    case 'config':
      reply({ ok: true, configuration: { iceServers: st.options.iceServers.map(toRTCIceServer) } });
      return;
    case 'stats':
      reply({ ok: true, stats: [...st.sessions.values()].map((s) => s.stats()) });
      return;
    default:
      reply({ ok: false, status: 400, error: `unknown signaling request kind '${(req as { kind: unknown }).kind}'` });
  }
}
