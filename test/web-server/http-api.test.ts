import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LUMA_WEIGHTS, TIME_CODE_BITS } from '../../operators/messages/index.ts';
import { makeOffer, startServer, type Harness } from './helpers.ts';
import { json, sdp, send } from '../../testkit/http.ts';

const FRAG = 'a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2116026367 127.0.0.1 50000 typ host\r\n';

describe('seed /offer protocol and WHIP, answered by a werift operator in the graph', () => {
  let h: Harness;
  let offer: Awaited<ReturnType<typeof makeOffer>>;
  before(async () => {
    h = await startServer({ body_limit: 16 * 1024 });
    offer = await makeOffer();
  });
  after(async () => {
    await offer?.close();
    await h?.stop();
  });

  /** The server must keep answering a good request after every bad one. */
  async function stillServes() {
    const r = await send(h.base, 'GET', '/stats');
    assert.equal(r.status, 200, r.body);
    assert.ok(Array.isArray(r.json().sessions));
  }

  test('POST /offer answers {sdp, type: answer, session_id}; candidates trickle; DELETE ends it', async () => {
    const r = await send(h.base, 'POST', '/offer', json({ sdp: offer.sdp, type: 'offer' }));
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers['content-type'] as string, /^application\/json/);
    const body = r.json();
    assert.equal(body.type, 'answer');
    assert.match(body.sdp, /^v=0\r\n/);
    assert.match(body.sdp, /^m=video /m);
    assert.equal(typeof body.session_id, 'string');
    const id = body.session_id as string;

    const stats = (await send(h.base, 'GET', '/stats')).json();
    assert.ok(stats.sessions.some((s: { id: string }) => s.id === id), JSON.stringify(stats));

    const c = await send(h.base, 'POST', `/offer/${id}/candidate`, json({ candidate: 'candidate:1 1 udp 2116026367 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 }));
    assert.equal(c.status, 204, c.body);
    const end = await send(h.base, 'POST', `/offer/${id}/candidate`, json({ candidate: '', sdpMid: '0', sdpMLineIndex: 0 }));
    assert.equal(end.status, 204, end.body);

    const d = await send(h.base, 'DELETE', `/offer/${id}`);
    assert.equal(d.status, 200, d.body);
    assert.deepEqual(d.json(), { session_id: id, closed: true });
    const again = await send(h.base, 'DELETE', `/offer/${id}`);
    assert.equal(again.status, 404);
    assert.match(again.json().error, /no session/);
    assert.ok(!(await send(h.base, 'GET', '/stats')).json().sessions.some((s: { id: string }) => s.id === id));
  });

  test('bad /offer input: 400 malformed JSON, not SDP, no video, wrong type; 415; 413; 404; 405', async () => {
    const before = h.seen.length;
    const cases: [string, Promise<import('../../testkit/http.ts').Response>, number, RegExp][] = [
      ['malformed JSON', send(h.base, 'POST', '/offer', json('{"sdp": "v=0')), 400, /JSON/i],
      ['empty JSON body', send(h.base, 'POST', '/offer', json('')), 400, /empty/i],
      ['JSON array', send(h.base, 'POST', '/offer', json([1, 2])), 400, /JSON object/],
      ['not SDP', send(h.base, 'POST', '/offer', json({ sdp: 'hello', type: 'offer' })), 400, /v=0/],
      ['no sdp field', send(h.base, 'POST', '/offer', json({ type: 'offer' })), 400, /no SDP/],
      ['audio only', send(h.base, 'POST', '/offer', json({ sdp: offer.sdp.replace(/^m=video /m, 'm=audio '), type: 'offer' })), 400, /m=video/],
      ['type answer', send(h.base, 'POST', '/offer', json({ sdp: offer.sdp, type: 'answer' })), 400, /"type" must be "offer"/],
      ['text/plain', send(h.base, 'POST', '/offer', { body: offer.sdp, headers: { 'content-type': 'text/plain' } }), 415, /application\/json/],
      ['unknown content type', send(h.base, 'POST', '/offer', { body: 'x', headers: { 'content-type': 'application/x-weird' } }), 415, /Unsupported Media Type/i],
      ['oversized', send(h.base, 'POST', '/offer', json({ sdp: 'v=0\r\n' + 'a=x\r\n'.repeat(5000), type: 'offer' })), 413, /larger than 16384 bytes/],
      ['unknown session candidate', send(h.base, 'POST', '/offer/nope/candidate', json({ candidate: '' })), 404, /no session 'nope'/],
      ['impossible session id', send(h.base, 'DELETE', '/offer/a.b'), 404, /no session/],
      ['bad candidate', send(h.base, 'POST', '/offer/s1/candidate', json({ candidate: 42 })), 400, /must be a string/],
      ['candidate not a candidate', send(h.base, 'POST', '/offer/s1/candidate', json({ candidate: 'hello' })), 400, /candidate:/],
      ['bad sdpMLineIndex', send(h.base, 'POST', '/offer/s1/candidate', json({ candidate: '', sdpMLineIndex: -1 })), 400, /sdpMLineIndex/],
      ['GET /offer', send(h.base, 'GET', '/offer'), 405, /GET is not allowed/],
      ['PUT /stats', send(h.base, 'PUT', '/stats', json({})), 405, /PUT is not allowed/],
      ['unknown path', send(h.base, 'POST', '/nowhere', json({})), 404, /not found/],
    ];
    for (const [name, pending, status, message] of cases) {
      const r = await pending;
      assert.equal(r.status, status, `${name}: ${r.body}`);
      assert.match(r.headers['content-type'] as string, /^application\/json/, name);
      assert.match(r.json().error, message, name);
      assert.equal(r.json().statusCode, status, name);
    }
    const get = await send(h.base, 'GET', '/offer');
    assert.equal(get.headers.allow, 'POST, OPTIONS');
    // Only the unknown-session candidate reached the WebRTC side; the rest were refused at the door.
    assert.deepEqual(h.seen.slice(before), ['candidate:nope']);
    await stillServes();
  });

  test('an offer the WebRTC side cannot negotiate gets its 400 and error text', async () => {
    const r = await send(h.base, 'POST', '/offer', json({ sdp: offer.sdp.replace(/VP8\/90000/g, 'NOPE/90000'), type: 'offer' }));
    assert.equal(r.status, 400, r.body);
    assert.match(r.json().error, /cannot answer this offer/);
    await stillServes();
  });

  test('GET /holots/constants.js is an ES module of the shared constants, equal to operators/messages; other methods 405', async () => {
    const r = await send(h.base, 'GET', '/holots/constants.js');
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers['content-type'] as string, /^text\/javascript/);
    // Imported as the page imports it, then compared with the one home of each fact.
    const mod = await import(`data:text/javascript;base64,${Buffer.from(r.body).toString('base64')}`);
    assert.deepEqual({ ...mod }, { LUMA_WEIGHTS, TIME_CODE_BITS });
    const post = await send(h.base, 'POST', '/holots/constants.js', json({}));
    assert.equal(post.status, 405, post.body);
    await stillServes();
  });

  test('WHIP: POST 201 + Location + application/sdp answer; PATCH 204; DELETE 200; then 404', async () => {
    const r = await send(h.base, 'POST', '/whip', sdp(offer.sdp));
    assert.equal(r.status, 201, r.body);
    assert.equal(r.headers['content-type'], 'application/sdp');
    const location = r.headers.location as string;
    assert.match(location, /^\/whip\/[A-Za-z0-9_-]+$/);
    assert.match(r.body, /^v=0\r\n/);
    assert.match(r.body, /^a=fingerprint:sha-256 /m);

    const patch = await send(h.base, 'PATCH', location, { body: FRAG, headers: { 'content-type': 'application/trickle-ice-sdpfrag' } });
    assert.equal(patch.status, 204, patch.body);
    assert.equal(patch.body, '');

    const wrongType = await send(h.base, 'PATCH', location, sdp(FRAG));
    assert.equal(wrongType.status, 415);
    assert.equal(wrongType.headers['accept-patch'], 'application/trickle-ice-sdpfrag');
    const badFrag = await send(h.base, 'PATCH', location, { body: 'hello', headers: { 'content-type': 'application/trickle-ice-sdpfrag' } });
    assert.equal(badFrag.status, 400);
    assert.match(badFrag.json().error, /not a trickle ICE fragment/);
    const getSession = await send(h.base, 'GET', location);
    assert.equal(getSession.status, 405);
    assert.equal(getSession.headers.allow, 'PATCH, DELETE, OPTIONS');

    const del = await send(h.base, 'DELETE', location);
    assert.equal(del.status, 200, del.body);
    const gone = await send(h.base, 'DELETE', location);
    assert.equal(gone.status, 404);
    const patchGone = await send(h.base, 'PATCH', location, { body: FRAG, headers: { 'content-type': 'application/trickle-ice-sdpfrag' } });
    assert.equal(patchGone.status, 404);
    await stillServes();
  });

  test('WHIP bad input: 415 for JSON, 400 for non-SDP, OPTIONS lists methods, GET is 405', async () => {
    const asJson = await send(h.base, 'POST', '/whip', json({ sdp: offer.sdp }));
    assert.equal(asJson.status, 415);
    assert.equal(asJson.headers['accept-post'], 'application/sdp');
    const noType = await send(h.base, 'POST', '/whip', { body: offer.sdp });
    assert.equal(noType.status, 415, noType.body);
    const notSdp = await send(h.base, 'POST', '/whip', sdp('hello world'));
    assert.equal(notSdp.status, 400);
    assert.match(notSdp.json().error, /must start with "v=0"/);
    const big = await send(h.base, 'POST', '/whip', sdp(offer.sdp + 'a=x\r\n'.repeat(5000)));
    assert.equal(big.status, 413);
    const options = await send(h.base, 'OPTIONS', '/whip');
    assert.equal(options.status, 204);
    assert.equal(options.headers.allow, 'POST, OPTIONS');
    assert.equal(options.headers['accept-post'], 'application/sdp');
    assert.equal(options.headers['access-control-allow-origin'], undefined, 'no CORS unless configured');
    const get = await send(h.base, 'GET', '/whip');
    assert.equal(get.status, 405);
    await stillServes();
  });
});

describe('when the WebRTC side does not answer', () => {
  test('504 after reply_timeout_ms from a stuck receiver, and the server keeps serving', async () => {
    const h = await startServer({ reply_timeout_ms: 150 }, 'silent');
    try {
      const { sdp: offerSdp, close } = await makeOffer();
      await close();
      const t0 = performance.now();
      const r = await send(h.base, 'POST', '/offer', json({ sdp: offerSdp, type: 'offer' }));
      assert.equal(r.status, 504, r.body);
      assert.ok(performance.now() - t0 >= 140);
      assert.match(r.json().error, /no answer to 'offer' within 150 ms/);
      const w = await send(h.base, 'POST', '/whip', sdp(offerSdp));
      assert.equal(w.status, 504);
      assert.deepEqual(h.seen, ['offer', 'whip-offer']);
      const page = await send(h.base, 'GET', '/');
      assert.equal(page.status, 200);
    } finally {
      await h.stop();
    }
  });

  test('504 when nothing is connected to the signaling output; /health still answers 200', async () => {
    const h = await startServer({ reply_timeout_ms: 100 }, 'none');
    try {
      const r = await send(h.base, 'GET', '/stats');
      assert.equal(r.status, 504);
      assert.match(r.json().error, /is a WebRTC operator connected/);
      // Liveness is the server's own answer: a receiver that never answers cannot make it look dead.
      const health = await send(h.base, 'GET', '/health');
      assert.equal(health.status, 200, health.body);
      assert.deepEqual(health.json(), { status: 'ok' });
      assert.equal((await send(h.base, 'POST', '/health', json({}))).status, 405);
    } finally {
      await h.stop();
    }
  });

  test('a session answered after its 504 is closed, so it does not leak', async () => {
    const h = await startServer({ reply_timeout_ms: 100 }, 'answerer', { delayMs: 300 });
    try {
      const { sdp: offerSdp, close } = await makeOffer();
      await close();
      const r = await send(h.base, 'POST', '/offer', json({ sdp: offerSdp, type: 'offer' }));
      assert.equal(r.status, 504);
      const deadline = Date.now() + 5000;
      while (!h.seen.includes('close:s1') && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(h.seen, ['offer', 'close:s1']);
      assert.ok(h.logs.some((l) => l.includes('session s1 was created after its client timed out')));
    } finally {
      await h.stop();
    }
  });
});

describe('back-pressure', () => {
  test('a burst of concurrent candidates to a slow receiver through a capacity-1 flow: none lost', async () => {
    // An ungated output would overwrite queued requests here (most of them then time out as 504).
    const h = await startServer({ reply_timeout_ms: 3000 }, 'answerer', { delayMs: 5 });
    const offer = await makeOffer();
    try {
      const r = await send(h.base, 'POST', '/offer', json({ sdp: offer.sdp, type: 'offer' }));
      const id = r.json().session_id as string;
      const replies = await Promise.all(Array.from({ length: 30 }, (_, i) =>
        send(h.base, 'POST', `/offer/${id}/candidate`, json({ candidate: `candidate:${i} 1 udp 2116026367 127.0.0.1 ${50000 + i} typ host`, sdpMid: '0', sdpMLineIndex: 0 }))));
      assert.deepEqual(replies.map((x) => x.status), Array(30).fill(204));
      assert.deepEqual(h.seen, ['offer', ...Array(30).fill(`candidate:${id}`)]);
    } finally {
      await offer.close();
      await h.stop();
    }
  });
});

describe('CORS', () => {
  test('cors_origin adds Access-Control headers and preflights answer; Location is exposed', async () => {
    const h = await startServer({ cors_origin: 'https://player.example' });
    const offer = await makeOffer();
    try {
      const pre = await send(h.base, 'OPTIONS', '/whip', { headers: { origin: 'https://player.example', 'access-control-request-method': 'POST' } });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://player.example');
      assert.equal(pre.headers['access-control-allow-methods'], 'POST, OPTIONS');
      assert.match(pre.headers['access-control-allow-headers'] as string, /Authorization/);
      const r = await send(h.base, 'POST', '/whip', sdp(offer.sdp, { origin: 'https://player.example' }));
      assert.equal(r.status, 201);
      assert.equal(r.headers['access-control-allow-origin'], 'https://player.example');
      assert.match(r.headers['access-control-expose-headers'] as string, /Location/);
      assert.equal((await send(h.base, 'DELETE', r.headers.location as string)).status, 200);
    } finally {
      await offer.close();
      await h.stop();
    }
  });
});
