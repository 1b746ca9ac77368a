import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-error.ts';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { sessionResourceRoutes } from './session-resource.ts';
import { mediaType, sendFailure, sendIncomplete } from './answer.ts';

const SDP = 'application/sdp';

/**
 * WHEP (the playback sibling of WHIP): a viewer POSTs a recvonly offer -> 201 + Location + answer;
 * PATCH the Location with trickled candidates; DELETE it to stop watching. GET /whep reports the stream
 * and its viewers. Requests go out on WebServerOp's `playback` port, never on the ingest one.
 */
export function whepRoutes(app: FastifyInstance, queue: SignalingQueue): void {
  app.post('/whep', async (request, reply) => {
    if (mediaType(request) !== SDP) {
      reply.header('Accept-Post', SDP);
      return sendError(reply, 415, `WHEP takes Content-Type: ${SDP}`);
    }
    const sdp = request.body;
    if (typeof sdp !== 'string' || !sdp.startsWith('v=0')) return sendError(reply, 400, 'the body is not SDP: it must start with "v=0"');
    const r = await queue.ask({ kind: 'whep-offer', sdp });
    if (!r.ok) return sendFailure(reply, r);
    if (!r.sdp || !r.sessionId) return sendIncomplete(reply, 'an answer SDP and a viewer id');
    return reply.code(201).header('Location', `/whep/${encodeURIComponent(r.sessionId)}`).type(SDP).send(r.sdp);
  });
  app.get('/whep', async (_request, reply) => {
    const r = await queue.ask({ kind: 'stats' });
    if (!r.ok) return sendFailure(reply, r);
    return r.playback ?? { stream: null, viewers: [] };
  });
  allowOnly(app, '/whep', ['GET', 'POST'], { 'Accept-Post': SDP });

  sessionResourceRoutes(app, queue, '/whep', 'viewer');
}
