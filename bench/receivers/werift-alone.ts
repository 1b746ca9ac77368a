/**
 * The transport floor under holots' receive path: werift alone, in a process of its own. It answers with
 * holots' own WebRTCSession (the same werift configuration, codecs and ICE on 127.0.0.1 as WebRTCClientOp)
 * and drops every video RTP packet at the session's `packetFilter` seam, which sees packets after werift
 * has taken them off the socket, checked ICE, decrypted SRTP, parsed RTP, kept its NACK and receiver-report
 * state, and before holots' frame assembler. So this process costs what werift's receive path costs, with no
 * assembling, decoding or graph: holots' CPU minus this and minus the decode floor is what holots adds.
 *
 * Frames are counted by the RTP marker bit (the last packet of a picture), so CPU per frame compares with
 * the receivers that decode. No picture is decoded, so no keyframe is ever requested and there is no latency.
 * Serves the bench receivers' HTTP API (bench/lib/receiver-api.ts); GET /stats -> {frames, packets, damaged: 0,
 * samples: []}.
 *
 * Usage: node --import tsx bench/receivers/werift-alone.ts [--port 0]      prints {"port": N} once listening
 */
import { WebRTCClientParams, WebRTCSession, sessionOptionsFrom, type SessionOptions } from '../../operators/webrtc/index.ts';
import { serveReceiverApi } from '../lib/receiver-api.ts';
import { BENCH_RECEIVER_PARAMS } from './receiver-params.ts';

const argv = process.argv.slice(2);
const port = argv.includes('--port') ? Number(argv[argv.indexOf('--port') + 1]) : 0;

let frames = 0;
let packets = 0;
const options: SessionOptions = {
  // The same parameters as bench/receivers/holots-receiver.ts gives WebRTCClientOp by default.
  ...sessionOptionsFrom(WebRTCClientParams.parse(BENCH_RECEIVER_PARAMS)),
  packetFilter: (p) => {
    packets++;
    if (p.header.marker) frames++;
    return null;
  },
};
const sessions = new Map<string, WebRTCSession>();
let nextId = 0;
const log = { info() {}, debug() {}, warn(m: string) { console.error(m); } };

const server = serveReceiverApi({
  async offer(sdp) {
    const id = `w${++nextId}`;
    try {
      const { session, answer } = await WebRTCSession.open(id, sdp, 'complete', options, {
        onPicture() {},
        onClosed: (closed) => { sessions.delete(closed); },
        log,
      });
      sessions.set(id, session);
      return { ok: true, sdp: answer, sessionId: id };
    } catch (err) {
      return { ok: false, status: (err as { status?: number }).status ?? 500, error: (err as Error).message };
    }
  },
  async close(sessionId) {
    const session = sessions.get(sessionId);
    await session?.close('closed by the bench');
    return Boolean(session);
  },
  reset() { frames = 0; packets = 0; },
  async stats() { return { frames, packets, damaged: 0, samples: [], sessions: sessions.size }; },
}, port);

const stop = async () => {
  server.close();
  await Promise.all([...sessions.values()].map((s) => s.close('receiver stopped')));
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
