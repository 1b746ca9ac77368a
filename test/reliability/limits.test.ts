import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeOffer, sdp, send, startServer } from '../web-server/helpers.ts';

/**
 * The access defaults that docs/security.md promises and test/web-server/ does not already cover:
 * the start-up warning and CORS staying off unless configured. (Body limit, token, HTTPS, traversal:
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
