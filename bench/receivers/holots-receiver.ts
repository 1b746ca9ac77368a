/**
 * holots' receive path as a process of its own, for benches that compare it with the seed's stack: a graph
 * of WebRTCClientOp -> a sink that reads a clock from each picture, and the bench receivers' HTTP API
 * (bench/lib/receiver-api.ts, the same as bench/seed/answerer.py's), so the driver (playwright, senders,
 * bookkeeping) runs in another process and this one's CPU, read from /proc by the driver, is the receiver's
 * alone. GET /stats -> {frames, damaged, samples: [[latency ms], ...], sessions, streams: {id: frames},
 * receiver: SessionStats[]}.
 *
 * --clock timecode: latency from the page's canvas time code; --clock rtp: from the RTP timestamp, which the
 * scale bench's senders set to their wall clock (ms x 90, same machine). --session-workers N is passed to
 * WebRTCClientOp when it has that parameter.
 *
 * Usage: node --import tsx bench/receivers/holots-receiver.ts [--port 0] [--clock timecode|rtp]
 *        [--min-kbps N] [--start-kbps N] [--max-sessions N] (defaults: receiver-params.ts)      prints {"port": N} once listening
 */
import { z } from 'zod';
import { Application, defineOperator, port } from '../../framework/index.ts';
import { VideoFrame, type SessionStats } from '../../operators/messages/index.ts';
import { WebRTCClientOp } from '../../operators/webrtc/index.ts';
import { readTimeCodeAny, wallNow } from '../../testkit/timecode.ts';
import { makeSignalingInjector } from '../../testkit/signaling-injector.ts';
import { serveReceiverApi } from '../lib/receiver-api.ts';
import { BENCH_RECEIVER_PARAMS } from './receiver-params.ts';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : dflt);
const CLOCK = opt('--clock', 'timecode');
const RTP_WRAP = 2 ** 32;

let samples: number[][] = [];
let frames = 0;
let damaged = 0;
let streams = new Map<string, number>();

/** Latency of a picture whose RTP timestamp is the sender's wall clock in 90 kHz ticks. */
function rtpLatency(rtpTimestamp: number): number {
  const now = Math.round(wallNow() * 90) % RTP_WRAP;
  return ((now - rtpTimestamp + RTP_WRAP) % RTP_WRAP) / 90;
}

const Sink = defineOperator({
  name: 'BenchClockSink',
  params: z.object({}).strict(),
  inputs: { in: port(VideoFrame) },
  compute({ in: f }, _e, ctx) {
    const m = ctx.metadata as { sessionId: string; rtpTimestamp: number };
    frames++;
    streams.set(m.sessionId, (streams.get(m.sessionId) ?? 0) + 1);
    if (CLOCK === 'rtp') { samples.push([rtpLatency(m.rtpTimestamp)]); return; }
    const tc = readTimeCodeAny(f);
    if (!tc.clean) { damaged++; return; }
    samples.push([wallNow() - tc.ms]);
  },
});

const injector = makeSignalingInjector();
const app = new Application('bench_receiver', { logLevel: 'error' });
const params: Record<string, unknown> = {
  ...BENCH_RECEIVER_PARAMS,
  min_bitrate_kbps: Number(opt('--min-kbps', String(BENCH_RECEIVER_PARAMS.min_bitrate_kbps))),
  start_bitrate_kbps: Number(opt('--start-kbps', String(BENCH_RECEIVER_PARAMS.start_bitrate_kbps))),
  max_sessions: Number(opt('--max-sessions', String(BENCH_RECEIVER_PARAMS.max_sessions))),
};
if (argv.includes('--session-workers')) params.session_workers = opt('--session-workers', '0') === 'auto' ? 'auto' : Number(opt('--session-workers', '0'));
const rx = app.add('webrtc', WebRTCClientOp, { params });
app.addFlow(app.add('signaling', injector.op), rx);
app.addFlow(rx, app.add('sink', Sink));
const running = app.run();

const server = serveReceiverApi({
  async offer(sdp) {
    const r = await injector.send({ kind: 'offer', sdp }, 30_000);
    return r.ok ? { ok: true, sdp: r.sdp!, sessionId: r.sessionId! } : r;
  },
  async close(sessionId) { return (await injector.send({ kind: 'close', sessionId })).ok; },
  reset() { samples = []; frames = 0; damaged = 0; streams = new Map(); },
  async stats() {
    const r = await injector.send({ kind: 'stats' });
    const receiver: SessionStats[] = r.ok ? r.stats ?? [] : [];
    return { frames, damaged, samples, sessions: receiver.length, streams: Object.fromEntries(streams), receiver };
  },
}, Number(opt('--port', '0')));
const stop = () => { server.close(); app.stop(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
await running;
process.exit(0);
