import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { makeOffer, startServer } from '../web-server/helpers.ts';
import { sdp, send } from '../../testkit/http.ts';

/**
 * The access defaults that docs/security.md promises and test/web-server/ does not already cover:
 * the start-up warning, CORS staying off unless configured, and request_timeout_ms against slow clients. (Body limit, token, HTTPS, traversal:
 * test/web-server/; session cap and connect timeout: faults-app.test.ts; malformed input: malformed-input.test.ts.)
 */
const WARNING = /listening on .* beyond this machine without a token/;

test('listening beyond loopback without a token logs a warning; with a token, or on loopback, it does not', async () => {
  // Nothing is connected downstream (API calls would only get 504) and the port is the system's pick,
  // so the moment on every interface opens no session to anyone.
  for (const [params, warns] of [
    [{ host: '0.0.0.0' }, true],
    [{ host: '0.0.0.0', token: 'x'.repeat(32) }, false],
    [{ host: '127.0.0.1' }, false],
  ] as const) {
    const h = await startServer({ ...params, reply_timeout_ms: 100 }, 'none');
    await h.stop();
    const line = h.logs.find((l) => WARNING.test(l));
    assert.equal(Boolean(line), warns, `${JSON.stringify(params)}:\n${h.logs.join('\n')}`);
    if (line) assert.match(line, /\[warn\]/);
  }
});

test('CORS is off unless cors_origin is set: no Access-Control header on preflights, API answers or the page', async () => {
  const h = await startServer({});
  const offer = await makeOffer();
  try {
    const origin = { origin: 'https://elsewhere.example' };
    const answers = [
      await send(h.base, 'OPTIONS', '/whip', { headers: { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }),
      await send(h.base, 'OPTIONS', '/offer', { headers: { ...origin, 'access-control-request-method': 'POST' } }),
      await send(h.base, 'POST', '/whip', sdp(offer.sdp, origin)),
      await send(h.base, 'GET', '/stats', { headers: origin }),
      await send(h.base, 'GET', '/', { headers: origin }),
    ];
    assert.equal(answers[2].status, 201, answers[2].body);
    for (const r of answers) {
      const cors = Object.keys(r.headers).filter((k) => k.startsWith('access-control-'));
      assert.deepEqual(cors, [], `CORS headers without cors_origin: ${cors.join(', ')}`);
    }
    assert.equal((await send(h.base, 'DELETE', answers[2].headers.location as string)).status, 200);
  } finally {
    await offer.close();
    await h.stop();
  }
});

/** Sends `text` and then nothing more; resolves with what the server answered and when the connection ended. */
function sendAndStall(base: string, text: string): Promise<{ answer: string; ms: number }> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    let answer = '';
    socket.on('data', (d) => { answer += d; });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ answer, ms: performance.now() - t0 }));
  });
}

test('request_timeout_ms: a client that stalls in its headers or its body gets 408 and is disconnected', { timeout: 30_000 }, async (t) => {
  const h = await startServer({ request_timeout_ms: 800 });
  try {
    const [headers, body] = await Promise.all([
      sendAndStall(h.base, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '),
      sendAndStall(h.base, 'POST /whip HTTP/1.1\r\nHost: x\r\nContent-Type: application/sdp\r\nContent-Length: 1000\r\n\r\nv=0\r\n'),
    ]);
    t.diagnostic(`stalled headers closed after ${Math.round(headers.ms)} ms, stalled body after ${Math.round(body.ms)} ms (request_timeout_ms 800)`);
    for (const r of [headers, body]) {
      assert.match(r.answer, /^HTTP\/1\.1 408 /, r.answer);
      assert.ok(r.ms >= 800 && r.ms < 5000, `closed after ${Math.round(r.ms)} ms`);
    }
    assert.equal((await send(h.base, 'GET', '/')).status, 200, 'the server stopped serving');
  } finally {
    await h.stop();
  }
});
