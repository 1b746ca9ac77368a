import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-error.ts';
import { sdpOfferProblem } from '../sdp-checks.ts';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { sessionResourceRoutes } from './session-resource.ts';
import { mediaType, sendFailure, sendIncomplete } from './answer.ts';

const SDP = 'application/sdp';

/**
 * WHIP (RFC 9725), so OBS, FFmpeg and GStreamer can publish: POST an SDP offer -> 201 + Location +
 * answer; PATCH the Location with trickled candidates; DELETE it to end the session.
 */
export function whipRoutes(app: FastifyInstance, queue: SignalingQueue): void {
  app.post('/whip', async (request, reply) => {
    if (mediaType(request) !== SDP) {
      reply.header('Accept-Post', SDP);
      return sendError(reply, 415, `WHIP takes Content-Type: ${SDP}`);
    }
    const problem = sdpOfferProblem(request.body);
    if (problem) return sendError(reply, 400, problem);
    const r = await queue.ask({ kind: 'whip-offer', sdp: request.body as string });
    if (!r.ok) return sendFailure(reply, r);
    if (!r.sdp || !r.sessionId) return sendIncomplete(reply, 'an answer SDP and a session id');
    return reply.code(201).header('Location', `/whip/${encodeURIComponent(r.sessionId)}`).type(SDP).send(r.sdp);
  });
  allowOnly(app, '/whip', ['POST'], { 'Accept-Post': SDP });

  sessionResourceRoutes(app, queue, '/whip', 'WHIP session');
}
