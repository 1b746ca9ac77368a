import { existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../../framework/index.ts';
import { bearerAuth } from './auth.ts';
import { allowCrossOrigin } from './cors.ts';
import { sendError } from './http-error.ts';
import { configRoutes } from './routes/config.ts';
import { healthRoutes } from './routes/health.ts';
import { offerRoutes } from './routes/offer.ts';
import { pageConstantsRoutes } from './routes/page-constants.ts';
import { staticRoutes } from './routes/static.ts';
import { statsRoutes } from './routes/stats.ts';
import { whepRoutes } from './routes/whep.ts';
import { controlRoutes } from './routes/control.ts';
import type { Control } from '../messages/index.ts';
import { whipRoutes } from './routes/whip.ts';
import type { SignalingQueue } from './signaling-queue.ts';

export interface WebServerOptions {
  /** The app's browser page; null: the API alone. */
  staticDir: string | null;
  bodyLimit: number;
  /** Longest a client may take to send one whole request; fastify's default is no limit at all. */
  requestTimeoutMs: number;
  queue: SignalingQueue;
  /** WHEP requests (viewers): a queue of their own, so ingest and playback never meet. */
  playbackQueue: SignalingQueue;
  /** Settings POSTed to /control, for the `control` output. */
  pushControl: (c: Control) => void;
  log: Logger;
  /** PEM contents; HTTPS when given. */
  tls?: { cert: Buffer; key: Buffer };
  token?: string;
  corsOrigin?: string;
}

export type WebServer = FastifyInstance<HttpServer | HttpsServer>;

const timeouts = (ms: number) => ({ headersTimeout: ms, connectionsCheckingInterval: Math.min(1000, ms) });

/**
 * Builds the fastify instance: the API (signaling and stats) in its own encapsulated plugin, so its
 * bearer-token hook and SDP body parsers touch nothing else, and the static page beside it.
 */
export async function createWebServer(o: WebServerOptions): Promise<WebServer> {
  const app = Fastify({
    logger: false,
    bodyLimit: o.bodyLimit,
    // Keep-alive connections would otherwise hold the port after stop().
    forceCloseConnections: true,
    requestTimeout: o.requestTimeoutMs,
    // Node's own defaults would stretch the limit: headers may take 60 s, and timeouts are only checked every 30 s.
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key, ...timeouts(o.requestTimeoutMs) } } : { http: timeouts(o.requestTimeoutMs) }),
  }) as unknown as WebServer;

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode <= 599 ? err.statusCode : 500;
    if (status >= 500) {
      o.log.error(`${request.method} ${request.url} failed:`, err);
      return sendError(reply, status, 'internal server error');
    }
    const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? `request body larger than ${o.bodyLimit} bytes` : err.message;
    return sendError(reply, status, message);
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, `not found: ${request.method} ${request.url.split('?')[0]}`));
  app.addHook('onResponse', async (request, reply) => {
    o.log.debug(`${request.method} ${request.url} -> ${reply.statusCode}`);
  });
  if (o.corsOrigin) allowCrossOrigin(app as unknown as FastifyInstance, o.corsOrigin);

  await app.register(async (api) => {
    const plain = api as unknown as FastifyInstance;
    if (o.token) api.addHook('onRequest', bearerAuth(o.token));
    for (const type of ['application/sdp', 'application/trickle-ice-sdpfrag']) {
      api.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => done(null, body));
    }
    offerRoutes(plain, o.queue);
    whipRoutes(plain, o.queue);
    whepRoutes(plain, o.playbackQueue);
    controlRoutes(plain, o.pushControl);
    statsRoutes(plain, o.queue);
    configRoutes(plain, o.queue, '/config');
    configRoutes(plain, o.playbackQueue, '/whep/config');
  });
  // Outside the API plugin: a liveness probe needs no token and reveals nothing.
  healthRoutes(app as unknown as FastifyInstance, () => o.queue.stopping);
  // The constants the pages share with the operators, generated from operators/messages; no token, like the page.
  pageConstantsRoutes(app as unknown as FastifyInstance);
  await app.register(async (files) => staticRoutes(files as unknown as FastifyInstance, o.staticDir));
  // Every browser asks for it on each page load; without an icon of its own the app answers "none" (204), not 404.
  if (!o.staticDir || !existsSync(join(o.staticDir, 'favicon.ico'))) app.get('/favicon.ico', (_request, reply) => reply.code(204).send());
  return app;
}
