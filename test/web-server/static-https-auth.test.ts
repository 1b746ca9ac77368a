import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Application, createLogger } from '../../framework/index.ts';
import { WebServerOp } from '../../operators/web-server/index.ts';
import { makeOffer, startServer, type Harness } from './helpers.ts';
import { json, sdp, send } from '../../testkit/http.ts';

/** A page folder with a secret file beside it, so a traversal that works would show. */
function makeSite(): { root: string; site: string } {
  const root = mkdtempSync(join(tmpdir(), 'holots-web-'));
  const site = join(root, 'site');
  mkdirSync(join(site, 'sub'), { recursive: true });
  writeFileSync(join(site, 'index.html'), '<!doctype html><title>test page</title>');
  writeFileSync(join(site, 'app.js'), 'console.log(1);');
  writeFileSync(join(site, 'style.css'), 'body{}');
  writeFileSync(join(site, 'sub', 'data.json'), '{"a":1}');
  writeFileSync(join(site, '.env'), 'SECRET=dotfile');
  writeFileSync(join(root, 'secret.txt'), 'SECRET=outside');
  return { root, site };
}

describe('static files', () => {
  let h: Harness;
  let site: { root: string; site: string };
  before(async () => {
    site = makeSite();
    // Relative to the working directory, as an app YAML would give it.
    h = await startServer({ static_dir: relative(process.cwd(), site.site) });
  });
  after(async () => {
    await h?.stop();
    rmSync(site.root, { recursive: true, force: true });
  });

  test('/favicon.ico answers 204 (no icon) instead of 404 when the page has none', async () => {
    const r = await send(h.base, 'GET', '/favicon.ico');
    assert.equal(r.status, 204);
  });

  test('serves the folder with the right content types, index.html at /', async () => {
    const expect: [string, RegExp, string][] = [
      ['/', /^text\/html; charset=utf-8/, '<title>test page</title>'],
      ['/index.html', /^text\/html; charset=utf-8/, '<title>test page</title>'],
      ['/app.js', /^(text|application)\/javascript/, 'console.log(1);'],
      ['/style.css', /^text\/css/, 'body{}'],
      ['/sub/data.json', /^application\/json/, '{"a":1}'],
    ];
    for (const [path, type, body] of expect) {
      const r = await send(h.base, 'GET', path);
      assert.equal(r.status, 200, path);
      assert.match(r.headers['content-type'] as string, type, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.ok(r.body.includes(body), path);
    }
    const head = await send(h.base, 'HEAD', '/app.js');
    assert.equal(head.status, 200);
    const missing = await send(h.base, 'GET', '/nope.js');
    assert.equal(missing.status, 404);
  });

  test('no path leaves the folder, and dotfiles stay hidden', async () => {
    const attempts = ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/sub/../../secret.txt', '/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..\\secret.txt', '/.%2e/secret.txt', '/.env', '/sub/%2e%2e/.env', `/${encodeURIComponent(join(site.root, 'secret.txt'))}`];
    for (const path of attempts) {
      const r = await send(h.base, 'GET', path);
      assert.ok(r.status === 403 || r.status === 404, `${path}: ${r.status} ${r.body}`);
      assert.ok(!r.body.includes('SECRET'), `${path} leaked: ${r.body}`);
    }
    assert.equal((await send(h.base, 'GET', '/')).status, 200);
  });

  test('the default folder is the webrtc_video_client page', async () => {
    const d = await startServer({});
    try {
      const r = await send(d.base, 'GET', '/');
      assert.equal(r.status, 200);
      assert.match(r.body, /<html/i);
      assert.equal(r.body, readFileSync(new URL('../../apps/webrtc_video_client/client/index.html', import.meta.url), 'utf8'));
    } finally {
      await d.stop();
    }
  });

  test('a missing static_dir fails start, naming the operator', async () => {
    const app = new Application('bad_static', { logLevel: 'error' });
    app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: 0, static_dir: '/nonexistent/holots-page' } });
    await assert.rejects(app.run(), /web_server.*WebServerOp[\s\S]*static_dir '\/nonexistent\/holots-page' is not a folder/);
  });
});

describe('bearer token', () => {
  test('API calls need the token (401 + WWW-Authenticate); the page and preflights do not', async () => {
    const h = await startServer({ token: 's3cret-token' });
    const offer = await makeOffer();
    try {
      const none = await send(h.base, 'POST', '/whip', sdp(offer.sdp));
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="holots"');
      assert.match(none.json().error, /missing bearer token/);
      const wrong = await send(h.base, 'POST', '/whip', sdp(offer.sdp, { authorization: 'Bearer guess' }));
      assert.equal(wrong.status, 401);
      assert.match(wrong.headers['www-authenticate'] as string, /error="invalid_token"/);
      const basic = await send(h.base, 'POST', '/offer', json({ sdp: offer.sdp, type: 'offer' }, { authorization: 'Basic czNjcmV0LXRva2Vu' }));
      assert.equal(basic.status, 401);
      // The token is checked before the body is read: a stranger gets 401, not 413.
      const bigStranger = await send(h.base, 'POST', '/whip', sdp('v=0\r\n' + 'x'.repeat(200_000)));
      assert.equal(bigStranger.status, 401);
      for (const [method, path] of [['GET', '/stats'], ['DELETE', '/whip/s1'], ['DELETE', '/offer/s1']]) {
        assert.equal((await send(h.base, method, path)).status, 401, `${method} ${path}`);
      }
      assert.deepEqual(h.seen, [], 'nothing unauthenticated reached the WebRTC side');

      const ok = await send(h.base, 'POST', '/whip', sdp(offer.sdp, { authorization: 'Bearer s3cret-token' }));
      assert.equal(ok.status, 201, ok.body);
      const del = await send(h.base, 'DELETE', ok.headers.location as string, { headers: { authorization: 'bearer s3cret-token' } });
      assert.equal(del.status, 200);
      assert.equal((await send(h.base, 'GET', '/')).status, 200);
      assert.equal((await send(h.base, 'OPTIONS', '/whip')).status, 204);
    } finally {
      await offer.close();
      await h.stop();
    }
  });
});

describe('HTTPS', () => {
  test('a self-signed certificate serves the page and WHIP over TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holots-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`this test needs the openssl CLI to make a certificate: ${(e as Error).message}`);
    }
    const h = await startServer({ cert_file: cert, key_file: key });
    const offer = await makeOffer();
    try {
      assert.match(h.base, /^https:/);
      assert.ok(h.logs.some((l) => /holots: open https:\/\/127\.0\.0\.1:\d+\//.test(l)), h.logs.join('\n'));
      const ca = readFileSync(cert);
      const page = await send(h.base, 'GET', '/', { ca });
      assert.equal(page.status, 200);
      assert.match(page.headers['content-type'] as string, /^text\/html/);
      const w = await send(h.base, 'POST', '/whip', { ...sdp(offer.sdp), ca });
      assert.equal(w.status, 201, w.body);
      assert.equal((await send(h.base, 'DELETE', w.headers.location as string, { ca })).status, 200);
      await assert.rejects(send(h.base, 'GET', '/'), /self[- ]signed|unable to verify/i, 'an untrusted client must refuse the certificate');
      await assert.rejects(send(h.base.replace('https:', 'http:'), 'GET', '/'), 'plain HTTP to the TLS port must fail');
    } finally {
      await offer.close();
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('cert_file without key_file is refused when the graph is built', () => {
    const app = new Application('half_tls', { logLevel: 'error' });
    assert.throws(() => app.add('web_server', WebServerOp, { params: { cert_file: 'a.pem' } }), /web_server.*cert_file and key_file go together/);
  });

  test('an unreadable certificate fails start with its path', async () => {
    const app = new Application('bad_tls', { logLevel: 'error' });
    app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: 0, cert_file: '/nonexistent/c.pem', key_file: '/nonexistent/k.pem' } });
    await assert.rejects(app.run(), /WebServerOp[\s\S]*cannot read cert_file '\/nonexistent\/c.pem'/);
  });
});

describe('lifecycle', () => {
  test('stop closes keep-alive connections and frees the port for the next server', async () => {
    const h = await startServer({});
    const agent = new Agent({ keepAlive: true });
    // Hold a keep-alive connection open, as a browser does.
    await new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port: h.port, path: '/', agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject).end();
    });
    const t0 = performance.now();
    await h.stop();
    assert.ok(performance.now() - t0 < 2000, 'stop did not wait for the idle keep-alive connection');
    agent.destroy();
    // The very same port is free again: a plain listener can take it, then a second WebServerOp.
    await new Promise<void>((resolve, reject) => {
      const probe = createServer().once('error', reject).listen(h.port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    const again = await startServer({ port: h.port });
    try {
      assert.equal(again.port, h.port);
      assert.equal((await send(again.base, 'GET', '/')).status, 200);
    } finally {
      await again.stop();
    }
  });

  test('a port in use fails start with a clear message', async () => {
    const h = await startServer({});
    try {
      const app = new Application('clash', { logger: createLogger('error', 'clash', () => {}) });
      app.add('web_server', WebServerOp, { params: { host: '127.0.0.1', port: h.port } });
      await assert.rejects(app.run(), new RegExp(`WebServerOp[\\s\\S]*port ${h.port} on 127.0.0.1 is already in use`));
    } finally {
      await h.stop();
    }
  });

  test('requests waiting at stop get 503, not a hang', async () => {
    const h = await startServer({ reply_timeout_ms: 10_000 }, 'silent');
    const offer = await makeOffer();
    await offer.close();
    const pending = send(h.base, 'POST', '/whip', sdp(offer.sdp)).catch((e: Error) => e);
    while (h.seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    await h.stop();
    const r = await pending;
    // Either the 503 made it out before the socket closed, or the close cut it; never a 10 s wait.
    if (!(r instanceof Error)) {
      assert.equal(r.status, 503);
      assert.match(r.json().error, /stopping/);
    }
  });
});
