import type { FastifyInstance } from 'fastify';
import { sendError } from '../http-error.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type Method = (typeof METHODS)[number];

/**
 * Fastify answers an unknown method on a known path with 404; HTTP (and WHIP clients) expect 405 with
 * an `Allow` header, and OPTIONS listing the methods. This registers both for one path.
 */
export function allowOnly(app: FastifyInstance, url: string, allowed: Method[], extraOptionsHeaders: Record<string, string> = {}): void {
  const allowedWithHead = allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed;
  const allow = [...allowedWithHead, 'OPTIONS'].join(', ');
  app.options(url, async (_request, reply) => {
    reply.code(204).header('Allow', allow);
    for (const [k, v] of Object.entries(extraOptionsHeaders)) reply.header(k, v);
    return reply.send();
  });
  const others = METHODS.filter((m) => !allowedWithHead.includes(m));
  if (others.length === 0) return;
  app.route({
    method: others,
    url,
    handler: async (request, reply) => {
      reply.header('Allow', allow);
      return sendError(reply, 405, `${request.method} is not allowed on ${url}; allowed: ${allow}`);
    },
  });
}
