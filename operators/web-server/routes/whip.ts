import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-error.ts';
import { isSessionId, sdpFragProblem, sdpOfferProblem } from '../sdp-checks.ts';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { mediaType, sendFailure, sendIncomplete } from './answer.ts';

const SDP = 'application/sdp';
const SDPFRAG = 'application/trickle-ice-sdpfrag';

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

  app.patch<{ Params: { id: string } }>('/whip/:id', async (request, reply) => {
    if (!isSessionId(request.params.id)) return sendError(reply, 404, `no WHIP session '${request.params.id}'`);
    if (mediaType(request) !== SDPFRAG) {
      reply.header('Accept-Patch', SDPFRAG);
      return sendError(reply, 415, `PATCH takes Content-Type: ${SDPFRAG}`);
    }
    const problem = sdpFragProblem(request.body);
    if (problem) return sendError(reply, 400, problem);
    const r = await queue.ask({ kind: 'trickle', sessionId: request.params.id, fragment: request.body as string });
    if (!r.ok) return sendFailure(reply, r);
    // An ICE restart answers with the server's new credentials; plain trickle answers nothing.
    if (r.sdp) return reply.code(200).type(SDPFRAG).send(r.sdp);
    return reply.code(204).send();
  });

  app.delete<{ Params: { id: string } }>('/whip/:id', async (request, reply) => {
    if (!isSessionId(request.params.id)) return sendError(reply, 404, `no WHIP session '${request.params.id}'`);
    const r = await queue.ask({ kind: 'close', sessionId: request.params.id });
    if (!r.ok) return sendFailure(reply, r);
    return reply.code(200).send();
  });
  allowOnly(app, '/whip/:id', ['PATCH', 'DELETE'], { 'Accept-Patch': SDPFRAG });
}
