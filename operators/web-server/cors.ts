import type { FastifyInstance } from 'fastify';

/**
 * Cross-origin access for a page served elsewhere (a WHIP player, a dashboard). Off unless
 * `cors_origin` is set: the page this server serves is same-origin and needs none. A few headers
 * don't justify a dependency (@fastify/cors is not installed), so an onSend hook adds them.
 */
export function allowCrossOrigin(app: FastifyInstance, origin: string): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('Access-Control-Allow-Origin', origin);
    if (origin !== '*') reply.header('Vary', 'Origin');
    // WHIP clients read the session URL from Location (and ICE servers from Link).
    reply.header('Access-Control-Expose-Headers', 'Location, Link, Accept-Post, Accept-Patch');
    if (request.method === 'OPTIONS') {
      const allow = reply.getHeader('Allow');
      if (allow) reply.header('Access-Control-Allow-Methods', String(allow));
      reply.header('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-Match');
      reply.header('Access-Control-Max-Age', '600');
    }
    return payload;
  });
}
