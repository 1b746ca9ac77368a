import type { FastifyInstance } from 'fastify';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { sendFailure, sendIncomplete } from './answer.ts';

/**
 * GET `url`: the RTCPeerConnection configuration a page should use ({ iceServers }), as the WebRTC
 * operator behind `queue` knows it: /config for the ingest page (the signaling port), /whep/config for
 * the viewer page (the playback port). Asked over the port, so the web server itself knows nothing of ICE.
 */
export function configRoutes(app: FastifyInstance, queue: SignalingQueue, url: string): void {
  app.get(url, async (_request, reply) => {
    const r = await queue.ask({ kind: 'config' });
    if (!r.ok) return sendFailure(reply, r);
    if (!r.configuration) return sendIncomplete(reply, 'a peer connection configuration');
    // Credentials inside: never cached by a browser or a proxy.
    reply.header('Cache-Control', 'no-store');
    return r.configuration;
  });
  allowOnly(app, url, ['GET']);
}
