import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendError } from './http-error.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * An onRequest hook that demands `Authorization: Bearer <token>` (RFC 6750, as WHIP's RFC 9725 asks).
 * It runs before the body is read, so an unauthenticated client cannot make the server parse anything.
 * CORS preflights (OPTIONS) carry no credentials by design and pass.
 */
export function bearerAuth(token: string) {
  const expected = digest(token);
  return async function checkBearer(request: FastifyRequest, reply: FastifyReply) {
    if (request.method === 'OPTIONS') return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      reply.header('WWW-Authenticate', 'Bearer realm="holots"');
      return sendError(reply, 401, 'missing bearer token: send "Authorization: Bearer <token>"');
    }
    // Compare fixed-length digests so the comparison time says nothing about the token.
    if (!timingSafeEqual(digest(match[1]), expected)) {
      reply.header('WWW-Authenticate', 'Bearer realm="holots", error="invalid_token"');
      return sendError(reply, 401, 'wrong bearer token');
    }
  };
}
