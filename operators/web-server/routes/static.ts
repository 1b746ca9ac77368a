import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * The app's browser page. @fastify/static (through `send`) resolves every path inside `root` and
 * refuses `..`, so no URL reaches a file outside the folder; dotfiles stay hidden.
 */
export async function staticRoutes(app: FastifyInstance, root: string | null): Promise<void> {
  if (root === null) return;
  await app.register(fastifyStatic, {
    root,
    index: 'index.html',
    dotfiles: 'deny',
    // The page is small and changes with the app; always revalidate so an update is never stale.
    cacheControl: true,
    maxAge: 0,
    setHeaders(res) {
      res.setHeader('X-Content-Type-Options', 'nosniff');
    },
  });
}
