import type { FastifyInstance } from 'fastify';
import type { Control } from '../../messages/index.ts';
import { sendError } from '../http-error.ts';
import { allowOnly } from './methods.ts';
import { mediaType } from './answer.ts';

/**
 * POST /control: a page changes what the graph does (a JSON object, emitted on WebServerOp's `control`
 * output). Fire and forget: 204 once queued; what the object means is the receiving operator's business.
 */
export function controlRoutes(app: FastifyInstance, push: (c: Control) => void): void {
  app.post('/control', async (request, reply) => {
    if (mediaType(request) !== 'application/json') return sendError(reply, 415, 'POST /control takes Content-Type: application/json');
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendError(reply, 400, 'expected a JSON object of settings, like {"color": "green"}');
    push(body as Control);
    return reply.code(204).send();
  });
  allowOnly(app, '/control', ['POST']);
}
