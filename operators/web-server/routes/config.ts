import type { FastifyInstance } from 'fastify';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { sendFailure, sendIncomplete } from './answer.ts';

/**
 * GET /config: the RTCPeerConnection configuration a page should use ({ iceServers }), as the WebRTC
 * operator knows it. Asked over the signaling port, so the web server itself knows nothing of ICE.
 */
export function configRoutes(app: FastifyInstance, queue: SignalingQueue): void {
  app.get('/config', async (_request, reply) => {
    const r = await queue.ask({ kind: 'config' });
    if (!r.ok) return sendFailure(reply, r);
    if (!r.configuration) return sendIncomplete(reply, 'a peer connection configuration');
    // Credentials inside: never cached by a browser or a proxy.
    reply.header('Cache-Control', 'no-store');
    return r.configuration;
  });
  allowOnly(app, '/config', ['GET']);
}
