import { readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { defineOperator, port, UserError } from '../../framework/index.ts';
import { Control, Signaling } from '../messages/index.ts';
import { WebServerParams } from './params.ts';
import { createWebServer, type WebServer } from './server.ts';
import { SignalingQueue } from './signaling-queue.ts';

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/**
 * Serves the browser page and turns HTTP signaling (the seed's `/offer`, WHIP, `/stats`) into
 * `Signaling` requests on its `signaling` output; whatever answers them (WebRTCClientOp) calls each
 * request's `reply`, which becomes the HTTP response.
 *
 * It is an asynchronous source: an HTTP handler queues the request and calls `ctx.notify()`; compute
 * emits one queued request per call. The output keeps its default gating (room downstream) rather than
 * `condition: 'none'`: an ungated emit into a full capacity-1 'pop' queue would silently drop the
 * previous request (a burst of trickled candidates right after the offer does exactly that), while
 * gating keeps them queued here, in order, until the WebRTC operator takes them or they time out (504).
 */
export const WebServerOp = defineOperator({
  name: 'WebServerOp',
  description: 'serves the browser page and turns HTTP signaling into Signaling requests: ingest (seed /offer, WHIP, /stats) on signaling, playback (WHEP) on playback',
  mainThreadOnly: 'it owns the listening socket, and each Signaling request carries a reply function, which cannot cross threads',
  params: WebServerParams,
  outputs: {
    signaling: port(Signaling, { description: 'ingest: one request per HTTP call (/offer, WHIP, /stats); the receiver calls its reply exactly once' }),
    playback: port(Signaling, { description: 'playback: WHEP requests (/whep), for a sender such as WebRTCServerOp' }),
    control: port(Control, { condition: 'none', description: 'settings a page POSTs to /control (a JSON object each)' }),
  },
  conditions: [{ type: 'asynchronous' }],

  initialize(ctx) {
    const queue: SignalingQueue = new SignalingQueue(() => ctx.notify(), ctx.params.reply_timeout_ms, (sessionId) => {
      ctx.log.warn(`session ${sessionId} was created after its client timed out; closing it`);
      void queue.ask({ kind: 'close', sessionId });
    });
    const playbackQueue: SignalingQueue = new SignalingQueue(() => ctx.notify(), ctx.params.reply_timeout_ms, (viewerId) => {
      ctx.log.warn(`viewer ${viewerId} was created after its client timed out; closing it`);
      void playbackQueue.ask({ kind: 'close', sessionId: viewerId });
    }, 'is a WebRTCServerOp connected to the playback output?');
    const controls: Control[] = [];
    return { queue, playbackQueue, controls, server: null as WebServer | null, url: null as string | null, port: 0 };
  },

  async start(ctx) {
    const p = ctx.params;
    const staticDir = p.static_dir === undefined ? null : resolve(p.static_dir);
    if (staticDir !== null && !(await stat(staticDir).catch(() => null))?.isDirectory()) throw new UserError(`static_dir '${staticDir}' is not a folder`);
    let tls: { cert: Buffer; key: Buffer } | undefined;
    if (p.cert_file && p.key_file) {
      const read = (file: string, what: string) => readFile(resolve(file)).catch((e: Error) => {
        throw new UserError(`cannot read ${what} '${file}': ${e.message}`);
      });
      tls = { cert: await read(p.cert_file, 'cert_file'), key: await read(p.key_file, 'key_file') };
    }
    const server = await createWebServer({ staticDir, bodyLimit: p.body_limit, requestTimeoutMs: p.request_timeout_ms, queue: ctx.state.queue, playbackQueue: ctx.state.playbackQueue, pushControl: (c: Control) => { if (ctx.state.controls.length >= 64) ctx.state.controls.shift(); ctx.state.controls.push(c); ctx.notify(); }, log: ctx.log, tls, token: p.token, corsOrigin: p.cors_origin });
    try {
      await server.listen({ host: p.host, port: p.port });
    } catch (e) {
      await server.close();
      const err = e as NodeJS.ErrnoException;
      throw new UserError(err.code === 'EADDRINUSE' ? `port ${p.port} on ${p.host} is already in use (pick another with port, or 0 for any free one)` : `cannot listen on ${p.host}:${p.port}: ${err.message}`);
    }
    ctx.state.server = server;
    ctx.state.port = (server.server.address() as AddressInfo).port;
    const scheme = tls ? 'https' : 'http';
    // 0.0.0.0 / :: are not addresses a browser can open; this machine's loopback is (and is a secure origin).
    const shown = p.host === '0.0.0.0' || p.host === '::' ? 'localhost' : p.host.includes(':') ? `[${p.host}]` : p.host;
    ctx.state.url = `${scheme}://${shown}:${ctx.state.port}/`;
    ctx.log.info(`holots: open ${ctx.state.url} (listening on ${p.host}:${ctx.state.port}, ${staticDir ? `page from ${staticDir}` : 'no page: API only'})`);
    if (!isLoopback(p.host)) {
      if (!p.token) ctx.log.warn(`listening on ${p.host} beyond this machine without a token: anyone who can reach port ${ctx.state.port} can open sessions (set token)`);
      if (!tls) ctx.log.info('browsers on other machines need HTTPS (cert_file, key_file) for camera access; see docs/web-server.md');
    }
  },

  compute(_inputs, emit, ctx) {
    const request = ctx.state.queue.shift();
    if (request) emit.signaling(request);
    const viewerRequest = ctx.state.playbackQueue.shift();
    if (viewerRequest) emit.playback(viewerRequest);
    const control = ctx.state.controls.shift();
    if (control) emit.control(control);
    // One per port per compute: the next waits for room downstream (see the note above).
    if (ctx.state.queue.pending > 0 || ctx.state.playbackQueue.pending > 0 || ctx.state.controls.length > 0) ctx.notify();
  },

  async stop(ctx) {
    ctx.state.queue.close();
    ctx.state.playbackQueue.close();
    await ctx.state.server?.close();
    ctx.state.server = null;
  },
});
