import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-error.ts';
import { candidateProblem, isSessionId, sdpOfferProblem, type CandidateInit } from '../sdp-checks.ts';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { mediaType, sendFailure, sendIncomplete } from './answer.ts';

/**
 * The seed's JSON protocol, kept so the seed's page and scripts still work: POST /offer with
 * `{sdp, type: 'offer'}` answers `{sdp, type: 'answer', session_id}`. Additions for trickle ICE and
 * Stop: POST /offer/:id/candidate and DELETE /offer/:id.
 */
export function offerRoutes(app: FastifyInstance, queue: SignalingQueue): void {
  app.post('/offer', async (request, reply) => {
    if (mediaType(request) !== 'application/json') return sendError(reply, 415, 'POST /offer takes Content-Type: application/json ({"sdp": "...", "type": "offer"})');
    const body = request.body as { sdp?: unknown; type?: unknown } | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return sendError(reply, 400, 'expected a JSON object {"sdp": "...", "type": "offer"}');
    if (body.type !== undefined && body.type !== 'offer') return sendError(reply, 400, `"type" must be "offer", not ${JSON.stringify(body.type)}`);
    const problem = sdpOfferProblem(body.sdp);
    if (problem) return sendError(reply, 400, problem);
    const r = await queue.ask({ kind: 'offer', sdp: body.sdp as string });
    if (!r.ok) return sendFailure(reply, r);
    if (!r.sdp || !r.sessionId) return sendIncomplete(reply, 'an answer SDP and a session id');
    return { sdp: r.sdp, type: 'answer', session_id: r.sessionId };
  });
  allowOnly(app, '/offer', ['POST']);

  app.post<{ Params: { id: string } }>('/offer/:id/candidate', async (request, reply) => {
    if (mediaType(request) !== 'application/json') return sendError(reply, 415, 'candidates take Content-Type: application/json');
    if (!isSessionId(request.params.id)) return sendError(reply, 404, `no session '${request.params.id}'`);
    const problem = candidateProblem(request.body);
    if (problem) return sendError(reply, 400, problem);
    const { candidate, sdpMid, sdpMLineIndex } = request.body as CandidateInit;
    const r = await queue.ask({ kind: 'candidate', sessionId: request.params.id, candidate: { candidate, sdpMid, sdpMLineIndex } });
    if (!r.ok) return sendFailure(reply, r);
    return reply.code(204).send();
  });
  allowOnly(app, '/offer/:id/candidate', ['POST']);

  app.delete<{ Params: { id: string } }>('/offer/:id', async (request, reply) => {
    if (!isSessionId(request.params.id)) return sendError(reply, 404, `no session '${request.params.id}'`);
    const r = await queue.ask({ kind: 'close', sessionId: request.params.id });
    if (!r.ok) return sendFailure(reply, r);
    return { session_id: request.params.id, closed: true };
  });
  allowOnly(app, '/offer/:id', ['DELETE']);
}
