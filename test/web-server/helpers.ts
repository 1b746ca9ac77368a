import { z } from 'zod';
import { RTCPeerConnection } from 'werift';
import { Application, createLogger, defineOperator, port } from '../../framework/index.ts';
import type { SessionStats, SignalingRequest } from '../../operators/messages/index.ts';
import { Signaling } from '../../operators/messages/index.ts';
import { WebServerOp } from '../../operators/web-server/index.ts';
import { PAGE_DIR } from '../../testkit/app-process.ts';

const LOOPBACK_ICE = { iceAdditionalHostAddresses: ['127.0.0.1'] } as ConstructorParameters<typeof RTCPeerConnection>[0];

/**
 * A small answering operator for HTTP tests: real werift peer connections answer the offers, so the
 * replies are what a WebRTC operator sends (a real answer SDP, session ids, candidates applied),
 * without decoding video. `log` records every request kind it saw.
 */
export function makeWeriftAnswerer(log: string[], opts: { delayMs?: number } = {}) {
  return defineOperator({
    name: 'WeriftAnswerer',
    params: z.object({}).strict(),
    inputs: { signaling: port(Signaling) },
    initialize: () => ({ sessions: new Map<string, RTCPeerConnection>(), next: 1 }),
    async compute({ signaling: req }, _emit, ctx) {
      log.push(req.kind === 'close' || req.kind === 'candidate' || req.kind === 'trickle' ? `${req.kind}:${req.sessionId}` : req.kind);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      await answer(req, ctx.state);
    },
    async stop(ctx) {
      await Promise.all([...ctx.state.sessions.values()].map((pc) => pc.close()));
    },
  });
}

async function answer(req: SignalingRequest, state: { sessions: Map<string, RTCPeerConnection>; next: number }): Promise<void> {
  switch (req.kind) {
    case 'offer':
    case 'whip-offer': {
      const pc = new RTCPeerConnection(LOOPBACK_ICE);
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: req.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
      } catch (e) {
        await pc.close();
        return req.reply({ ok: false, status: 400, error: `cannot answer this offer: ${(e as Error).message}` });
      }
      // werift rejects the m-line (port 0) rather than throwing when no codec matches; a WebRTC operator answers 400.
      if (/^m=video 0 /m.test(pc.localDescription!.sdp)) {
        await pc.close();
        return req.reply({ ok: false, status: 400, error: 'cannot answer this offer: no video codec in common' });
      }
      const id = `s${state.next++}`;
      state.sessions.set(id, pc);
      return req.reply({ ok: true, sessionId: id, sdp: pc.localDescription!.sdp });
    }
    case 'candidate':
    case 'trickle': {
      const pc = state.sessions.get(req.sessionId);
      if (!pc) return req.reply({ ok: false, status: 404, error: `no session '${req.sessionId}'` });
      if (req.kind === 'candidate' && req.candidate.candidate) {
        await pc.addIceCandidate({ candidate: req.candidate.candidate.replace(/^a=/, ''), sdpMid: req.candidate.sdpMid ?? undefined, sdpMLineIndex: req.candidate.sdpMLineIndex ?? undefined });
      }
      if (req.kind === 'trickle') {
        for (const line of req.fragment.split(/\r?\n/)) {
          if (line.startsWith('a=candidate:')) await pc.addIceCandidate({ candidate: line.slice(2), sdpMLineIndex: 0 });
        }
      }
      return req.reply({ ok: true });
    }
    case 'close': {
      const pc = state.sessions.get(req.sessionId);
      if (!pc) return req.reply({ ok: false, status: 404, error: `no session '${req.sessionId}'` });
      state.sessions.delete(req.sessionId);
      await pc.close();
      return req.reply({ ok: true });
    }
    case 'stats': {
      const stats: SessionStats[] = [...state.sessions].map(([id, pc]) => ({
        id, state: pc.connectionState, codec: null, width: 0, height: 0, framesDecoded: 0, framesDropped: 0, fps: 0,
      }));
      return req.reply({ ok: true, stats });
    }
  }
}

/** Takes requests and never answers: what a stuck downstream looks like to the server. */
export function makeSilentReceiver(log: string[]) {
  return defineOperator({
    name: 'SilentReceiver',
    params: z.object({}).strict(),
    inputs: { signaling: port(Signaling) },
    compute({ signaling: req }) { log.push(req.kind); },
  });
}

export interface Harness {
  app: Application;
  base: string;
  port: number;
  logs: string[];
  /** Request kinds the downstream saw. */
  seen: string[];
  run: Promise<void>;
  stop(): Promise<void>;
}

type Downstream = 'answerer' | 'silent' | 'none';

/** Runs WebServerOp (port 0 on loopback unless told) feeding the chosen downstream in a real graph. */
export async function startServer(params: Record<string, unknown> = {}, downstream: Downstream = 'answerer', opts: { delayMs?: number } = {}): Promise<Harness> {
  const logs: string[] = [];
  const seen: string[] = [];
  let announce!: (line: string) => void;
  const announced = new Promise<string>((r) => { announce = r; });
  const logger = createLogger('debug', 'web_test', (line) => {
    logs.push(line);
    if (line.includes('holots: open ')) announce(line);
  });
  const app = new Application('web_test', { logger });
  const server = app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: 0, static_dir: PAGE_DIR, ...params } as never });
  if (downstream !== 'none') {
    const rx = app.add('rx', downstream === 'answerer' ? makeWeriftAnswerer(seen, opts) : makeSilentReceiver(seen));
    app.addFlow(server, rx, [['signaling', 'signaling']]);
  }
  const run = app.run();
  const line = await Promise.race([announced, run.then(() => { throw new Error(`app ended before listening:\n${logs.join('\n')}`); })]);
  const m = /open (https?):\/\/([^\s/]+):(\d+)\//.exec(line);
  if (!m) throw new Error(`no URL in '${line}'`);
  const portNo = Number(m[3]);
  return {
    app, port: portNo, logs, seen, run,
    base: `${m[1]}://127.0.0.1:${portNo}`,
    async stop() { app.stop(); await run; },
  };
}


/** A real offer from a werift sender (video only, candidates included), as a WHIP publisher sends. */
export async function makeOffer(): Promise<{ sdp: string; close: () => Promise<void> }> {
  const pc = new RTCPeerConnection(LOOPBACK_ICE);
  pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return { sdp: pc.localDescription!.sdp, close: () => pc.close() };
}
