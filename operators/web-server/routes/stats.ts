import type { FastifyInstance } from 'fastify';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { sendFailure } from './answer.ts';

/** GET /stats: what the WebRTC operator knows about each session (state, codec, size, frames, fps, ...),
 * the sessions that ended lately with their reason, and the receiver's session workers when it has some. */
export function statsRoutes(app: FastifyInstance, queue: SignalingQueue): void {
  app.get('/stats', async (_request, reply) => {
    const r = await queue.ask({ kind: 'stats' });
    if (!r.ok) return sendFailure(reply, r);
    return { sessions: r.stats ?? [], ...(r.ended ? { ended: r.ended } : {}), ...(r.sessionWorkers ? { sessionWorkers: r.sessionWorkers } : {}) };
  });
  allowOnly(app, '/stats', ['GET']);
}
