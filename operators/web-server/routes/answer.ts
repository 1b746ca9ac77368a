import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignalingReply } from '../../messages/index.ts';
import { sendError } from '../http-error.ts';

/** The media type of a request without its parameters, lower case ('' when absent). */
export function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** Turns a failed reply into an error response; a status outside 4xx/5xx means a broken downstream. */
export function sendFailure(reply: FastifyReply, r: Extract<SignalingReply, { ok: false }>): FastifyReply {
  const valid = Number.isInteger(r.status) && r.status >= 400 && r.status <= 599;
  return sendError(reply, valid ? r.status : 502, valid ? r.error : `the WebRTC operator answered with an invalid status ${r.status}: ${r.error}`);
}

/** A successful reply that lacks what the endpoint promised is the downstream's fault: 502. */
export function sendIncomplete(reply: FastifyReply, what: string): FastifyReply {
  return sendError(reply, 502, `the WebRTC operator answered without ${what}`);
}
