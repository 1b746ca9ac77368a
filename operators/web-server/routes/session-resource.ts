import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-error.ts';
import { isSessionId, sdpFragProblem } from '../sdp-checks.ts';
import type { SignalingQueue } from '../signaling-queue.ts';
import { allowOnly } from './methods.ts';
import { mediaType, sendFailure } from './answer.ts';

const SDPFRAG = 'application/trickle-ice-sdpfrag';

/**
 * The resource a WHIP or WHEP POST creates (`<base>/:id`): PATCH trickles ICE candidates (RFC 8840),
 * DELETE ends it. Both protocols share this shape; `missing` names the thing an unknown id is not.
 */
export function sessionResourceRoutes(app: FastifyInstance, queue: SignalingQueue, base: string, missing: string): void {
  app.patch<{ Params: { id: string } }>(`${base}/:id`, async (request, reply) => {
    if (!isSessionId(request.params.id)) return sendError(reply, 404, `no ${missing} '${request.params.id}'`);
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

  app.delete<{ Params: { id: string } }>(`${base}/:id`, async (request, reply) => {
    if (!isSessionId(request.params.id)) return sendError(reply, 404, `no ${missing} '${request.params.id}'`);
    const r = await queue.ask({ kind: 'close', sessionId: request.params.id });
    if (!r.ok) return sendFailure(reply, r);
    return reply.code(200).send();
  });
  allowOnly(app, `${base}/:id`, ['PATCH', 'DELETE'], { 'Accept-Patch': SDPFRAG });
}
