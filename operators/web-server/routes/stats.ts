import type { FastifyInstance } from 'fastify';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { sendFailure } from './answer.ts';

/** GET /stats: what the WebRTC operator knows about each session (state, codec, size, frames, fps, ...). */
export function statsRoutes(app: FastifyInstance, queue: SignalingQueue): void {
  app.get('/stats', async (_request, reply) => {
    const r = await queue.ask({ kind: 'stats' });
    if (!r.ok) return sendFailure(reply, r);
    return { sessions: r.stats ?? [] };
  });
  allowOnly(app, '/stats', ['GET']);
}
