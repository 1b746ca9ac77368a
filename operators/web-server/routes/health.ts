import type { FastifyInstance } from 'fastify';
import { allowOnly } from './methods.ts';
import { sendError } from '../http-error.ts';

/**
 * GET /health: is this web server up? Answered by the server alone, never by the graph, so a slow or
 * absent receiver (a busy worker, a fragment on another machine) cannot make a live server look dead.
 * The page's heartbeat asks it; so can a load balancer or an orchestrator's liveness probe.
 * 200 while serving; 503 once the server is stopping.
 */
export function healthRoutes(app: FastifyInstance, stopping: () => boolean): void {
  app.get('/health', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
    if (stopping()) return sendError(reply, 503, 'the server is stopping');
    return { status: 'ok' };
  });
  allowOnly(app, '/health', ['GET']);
}
