import { defineOperator, port, type Logger } from '../../framework/index.ts';
import { EncodedFrame, Signaling, VideoFrame, failureReply, replyOnce, toRTCIceServer, type SignalingRequest } from '../messages/index.ts';
import { Broadcast } from './broadcast.ts';
import { WebRTCServerParams } from './params.ts';
import { installCompoundRtcpSplit } from './rtcp-compound.ts';
import { Viewer, type ViewerOptions } from './viewer.ts';

interface ServerState {
  viewers: Map<string, Viewer>;
  broadcast: Broadcast;
  viewerOptions: ViewerOptions;
  stopped: boolean;
}

/**
 * Sends a graph's pictures to browsers over WebRTC, with WHEP signaling (viewers POST a recvonly offer
 * to WebServerOp's `/whep`, which arrives here on `signaling` from its `playback` port).
 *
 * One encoder serves every viewer: each picture is encoded once, packetized once and written to each
 * connected viewer. While nobody is connected, pictures are dropped before the encoder. A viewer that
 * joins, sends a PLI or FIR, or NACKs a packet werift no longer holds gets a keyframe; the encoder's rate
 * follows the lowest REMB estimate. Pictures already encoded (EncodedFrame on `encoded`) are relayed
 * without re-encoding.
 */
export const WebRTCServerOp = defineOperator({
  name: 'WebRTCServerOp',
  description: 'WebRTC sender with WHEP: encodes VideoFrames once (H264/VP8) or relays EncodedFrames to any number of browser viewers',
  mainThreadOnly: 'its peer connections own UDP sockets and timers, and Signaling replies are functions, which cannot cross threads',
  params: WebRTCServerParams,
  inputs: {
    input: port(VideoFrame, { condition: 'none', capacity: 1, policy: 'pop', description: 'pictures to send (yuv420p, nv12 or rgba); the newest wins while the encoder is busy' }),
    encoded: port(EncodedFrame, { condition: 'none', capacity: 8, description: 'already-encoded frames of the stream\'s codec, relayed as they are' }),
    signaling: port(Signaling, { condition: 'none', capacity: 64, description: 'WHEP requests (connect it to WebServerOp\'s playback output)' }),
  },
  conditions: [{ type: 'asynchronous' }],

  initialize(ctx): ServerState {
    installCompoundRtcpSplit();
    const p = ctx.params;
    const viewers = new Map<string, Viewer>();
    return {
      viewers,
      stopped: false,
      broadcast: new Broadcast({
        codec: p.codec, fps: p.fps, maxBitrateBps: p.bitrate_kbps * 1000, minBitrateBps: p.min_bitrate_kbps * 1000, keyframeInterval: p.keyframe_interval,
      }, () => viewers.values()),
      viewerOptions: {
        codec: p.codec, iceServers: p.ice_servers, additionalHostAddresses: p.additional_host_addresses,
        connectTimeoutMs: p.connect_timeout_ms, disconnectGraceMs: p.disconnect_grace_ms, rtcpTimeoutMs: p.rtcp_timeout_ms, zeroPlayoutDelay: p.zero_playout_delay,
      },
    };
  },

  async compute({ input, encoded, signaling }, _emit, ctx) {
    const st = ctx.state;
    if (signaling) handleRequest(signaling, st, ctx.params.max_viewers, ctx.log);
    if (encoded) st.broadcast.forward(encoded);
    if (input) {
      try {
        await st.broadcast.encode(input);
      } catch (err) {
        // The stream cannot go on: every viewer is told (their connection closes) and the app hears why.
        await closeAll(st, `the stream ended: ${(err as Error).message}`);
        throw err;
      }
    }
    // Other queues may still hold messages; one message wakes us only once.
    if (signaling || encoded || input) ctx.notify();
  },

  async stop(ctx) {
    ctx.state.stopped = true;
    await closeAll(ctx.state, 'application stopping');
  },
});

async function closeAll(st: ServerState, reason: string): Promise<void> {
  await Promise.allSettled([...st.viewers.values()].map((v) => v.close(reason)));
  st.viewers.clear();
  st.broadcast.close();
}

function handleRequest(req: SignalingRequest, st: ServerState, maxViewers: number, log: Logger): void {
  const reply = replyOnce(req.reply, log);
  if (st.stopped) { reply({ ok: false, status: 503, error: 'the WebRTC server is stopping' }); return; }
  const viewerFor = (id: string): Viewer | undefined => {
    const v = st.viewers.get(id);
    if (!v) reply({ ok: false, status: 404, error: `no viewer '${id}'` });
    return v;
  };
  switch (req.kind) {
    case 'whep-offer': {
      if (st.viewers.size >= maxViewers) { reply({ ok: false, status: 429, error: `too many viewers (max_viewers is ${maxViewers})` }); return; }
      const viewer = new Viewer(st.viewerOptions, {
        onConnected: (v) => log.info(`viewer ${v.id} connected (${[...st.viewers.values()].filter((x) => x.connected).length} watching)`),
        onKeyframeRequest: (v, reason) => { log.debug(`viewer ${v.id}: keyframe (${reason})`); st.broadcast.requestKeyframe(v, reason === 'joined'); },
        onClosed: (v) => { st.viewers.delete(v.id); st.broadcast.viewerLeft(v); },
        log,
      });
      // Counted from the start, so a burst of offers cannot pass max_viewers while they negotiate.
      st.viewers.set(viewer.id, viewer);
      viewer.answer(req.sdp).then(
        (sdp) => {
          if (st.stopped) { void viewer.close('application stopping'); reply({ ok: false, status: 503, error: 'the WebRTC server is stopping' }); return; }
          reply({ ok: true, sessionId: viewer.id, sdp });
        },
        (err) => { st.viewers.delete(viewer.id); reply(failureReply(err)); },
      );
      return;
    }
    case 'trickle': {
      const v = viewerFor(req.sessionId);
      if (v) v.addFragment(req.fragment).then(() => reply({ ok: true, sessionId: v.id }), (err) => reply(failureReply(err)));
      return;
    }
    case 'close': {
      const v = viewerFor(req.sessionId);
      if (v) v.close('closed by the viewer').then(() => reply({ ok: true, sessionId: v.id }), (err) => reply(failureReply(err)));
      return;
    }
    case 'config':
      // What the viewer page builds its RTCPeerConnection with (GET /whep/config): the same ICE servers as the viewers' peers here.
      reply({ ok: true, configuration: { iceServers: st.viewerOptions.iceServers.map(toRTCIceServer) } });
      return;
    case 'stats':
      reply({ ok: true, playback: { stream: { ...st.broadcast.stats }, viewers: [...st.viewers.values()].map((v) => ({ ...v.stats() })) } });
      return;
    default:
      reply({ ok: false, status: 400, error: `WebRTCServerOp answers WHEP requests (whep-offer, trickle, close, stats, config), not '${req.kind}'` });
  }
}
