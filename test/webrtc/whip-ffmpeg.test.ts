import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { test } from 'node:test';
import { FormatContext, Packet, Rational } from 'node-av';
import { Application } from '../../framework/index.ts';
import type { SignalingReply } from '../../operators/messages/index.ts';
import { WebRTCClientOp } from '../../operators/webrtc/index.ts';
import { PatternEncoder, PATTERN } from './encode.ts';
import { makeFrameSink, makeSignalingInjector, type PlainRequest } from '../../testkit/webrtc-sender.ts';
import { waitFor } from '../../testkit/wait.ts';

/**
 * A minimal WHIP endpoint (RFC 9725) for this test only: POST/PATCH/DELETE become Signaling requests.
 * The real one is WebServerOp's; this keeps the receive side testable on its own.
 */
async function whipEndpoint(send: (r: PlainRequest) => Promise<SignalingReply>): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const body = (req: IncomingMessage) => new Promise<string>((resolve) => { let s = ''; req.on('data', (d) => (s += d)); req.on('end', () => resolve(s)); });
  const server = createServer(async (req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const text = await body(req);
    const id = req.url?.match(/^\/whip\/([^/?]+)/)?.[1];
    let reply: SignalingReply;
    if (req.method === 'POST' && req.url === '/whip') reply = await send({ kind: 'whip-offer', sdp: text });
    else if (req.method === 'PATCH' && id) reply = await send({ kind: 'trickle', sessionId: id, fragment: text });
    else if (req.method === 'DELETE' && id) reply = await send({ kind: 'close', sessionId: id });
    else { res.writeHead(405).end(); return; }
    if (!reply.ok) { res.writeHead(reply.status, { 'content-type': 'text/plain' }).end(reply.error); return; }
    if (req.method === 'POST') res.writeHead(201, { 'content-type': 'application/sdp', location: `/whip/${reply.sessionId}` }).end(reply.sdp);
    else res.writeHead(req.method === 'PATCH' ? 204 : 200).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/whip`, requests };
}

test('FFmpeg WHIP muxer (node-av) publishes H.264 to the graph; DELETE ends the session', { timeout: 90_000 }, async () => {
  const injector = makeSignalingInjector();
  const sink = makeFrameSink();
  const app = new Application('whip_test', { logLevel: 'warn' });
  const src = app.add('signaling', injector.op);
  const rx = app.add('webrtc', WebRTCClientOp);
  const out = app.add('sink', sink.op);
  app.addFlow(src, rx).addFlow(rx, out);
  const running = app.run();
  const { server, url, requests } = await whipEndpoint(injector.send);
  const width = 640, height = 360;
  const enc = new PatternEncoder('H264', width, height, { gop: 30, bitrate: 1_500_000, globalHeader: true });
  const fmt = new FormatContext();
  try {
    assert.ok(fmt.allocOutputContext2(null, 'whip', url) >= 0, 'node-av has the whip muxer');
    const stream = fmt.newStream(null);
    enc.ctx.parametersFromContext(stream.codecpar);
    stream.timeBase = new Rational(1, 30);
    // writeHeader POSTs the offer, runs ICE and DTLS: the async call, so our HTTP server keeps serving meanwhile.
    const header = await fmt.writeHeader(null);
    assert.ok(header >= 0, `the WHIP muxer's handshake failed (error ${header})`);
    const pkt = new Packet();
    pkt.alloc();
    const t0 = performance.now();
    for (let i = 0; i < 90; i++) {
      for (const au of enc.next()) {
        pkt.data = au.data;
        pkt.pts = au.pts;
        pkt.dts = au.pts;
        pkt.isKeyframe = au.keyframe;
        pkt.streamIndex = 0;
        pkt.rescaleTs(new Rational(1, 30), stream.timeBase);
        const r = await fmt.writeFrame(pkt);
        assert.ok(r >= 0, `writing packet ${i} failed (error ${r})`);
      }
      // Real time, so the receiver sees a stream, not a burst.
      const due = t0 + (i + 1) * (1000 / 30);
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
    pkt.free();
    const stats = await injector.send({ kind: 'stats' });
    assert.ok(stats.ok && stats.stats && stats.stats.length === 1, 'one session while publishing');
    const s = stats.stats[0];
    assert.equal(s.codec, 'H264');
    const got = await waitFor('decoded WHIP frames', () => sink.samples.length >= 30 && sink.samples);
    for (const f of got) {
      assert.equal(f.width, width);
      assert.equal(f.height, height);
      assert.equal(f.codec, 'H264');
    }
    // The pattern's colours survive the trip (green background: U 54, V 34, luma mostly 145).
    const lastSample = got[got.length - 1];
    assert.ok(Math.abs(lastSample.chroma[0] - PATTERN.u) < 6 && Math.abs(lastSample.chroma[1] - PATTERN.v) < 6, `chroma ${lastSample.chroma}`);
    assert.ok(lastSample.lumaStd > 20, 'the picture has its box and ramp, not a flat field');
    await fmt.writeTrailer();
    await fmt.closeOutput?.();
    fmt.freeContext();
    // The muxer's teardown sends DELETE; the session is gone afterwards.
    await waitFor('the WHIP DELETE', () => requests.some((r) => r.startsWith('DELETE')), 5000);
    const after = await injector.send({ kind: 'stats' });
    assert.ok(after.ok);
    assert.deepEqual(after.stats, []);
    console.log(`WHIP: ${got.length} frames, stats ${JSON.stringify(s)}; requests: ${requests.join(', ')}`);
  } finally {
    enc.close();
    app.stop();
    await running;
    await new Promise((r) => server.close(r));
  }
});
