/**
 * The small HTTP API every bench receiver process serves (the same as bench/seed/answerer.py's), so a bench
 * driver measures each receiver the same way from another process (bench/lib/receiver-process.ts):
 *
 *   POST /offer {sdp, type}  -> {sdp, type: 'answer', session_id}
 *   POST /close {session_id} -> {ok}
 *   POST /reset              -> {ok}      (clears the receiver's counters and samples)
 *   GET  /stats              -> the receiver's own figures ({frames, damaged, samples, ...})
 *
 * Prints {"port": N} on stdout once listening, which is how receiver-process.ts finds it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface ReceiverApi {
  /** Answers an offer: {ok, sdp, sessionId} or {ok: false, status, error}. */
  offer(sdp: string): Promise<{ ok: true; sdp: string; sessionId: string } | { ok: false; status: number; error: string }>;
  close(sessionId: string): Promise<boolean>;
  reset(): void;
  stats(): Promise<Record<string, unknown>>;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
}

export function serveReceiverApi(api: ReceiverApi, port: number): Server {
  const server = createServer(async (req, res) => {
    const send = (code: number, value: unknown) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
    try {
      if (req.method === 'POST' && req.url === '/offer') {
        const r = await api.offer(String((await body(req)).sdp));
        return r.ok ? send(200, { sdp: r.sdp, type: 'answer', session_id: r.sessionId }) : send(r.status, { error: r.error });
      }
      if (req.method === 'POST' && req.url === '/close') {
        return send(200, { ok: await api.close(String((await body(req)).session_id)) });
      }
      if (req.method === 'POST' && req.url === '/reset') {
        await body(req);
        api.reset();
        return send(200, { ok: true });
      }
      if (req.method === 'GET' && req.url === '/stats') return send(200, await api.stats());
      send(404, { error: 'not found' });
    } catch (err) {
      send(500, { error: (err as Error).message });
    }
  });
  server.listen(port, '127.0.0.1', () => {
    console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
  });
  return server;
}
