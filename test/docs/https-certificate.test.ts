/**
 * The guide's "HTTPS from another machine" commands, as written: the openssl lines run unattended (no
 * terminal, stdin closed) and make a certificate with subjectAltName (IP and DNS); holots serves HTTPS with
 * it; a client that trusts only that certificate (as a browser does once it is installed) fetches the page
 * by IP, and refuses the same server under a name the certificate does not carry.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { codeBlocks } from './code-blocks.ts';
import { ROOT, runHolots } from '../../testkit/app-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'holots-cert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** GET / over HTTPS to loopback, checking the certificate against `servername`, or against the IP when none. */
function fetchPage(port: number, ca: string, servername?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', ca, ...(servername ? { servername } : {}) }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('the guide\'s openssl command runs unattended and its certificate serves HTTPS that a client trusting it accepts', async () => {
  const guide = readFileSync(join(ROOT, 'docs/guide.md'), 'utf8');
  const block = codeBlocks('docs/guide.md', guide).find((b) => b.lang === 'sh' && b.code.includes('openssl req'));
  assert.ok(block, 'the guide has an openssl block');
  // Everything before the holots line makes the certificate; HOST_IP becomes loopback, the address this test can reach.
  const makeCert = block.code.split('\n').filter((l) => !/holots run/.test(l)).join('\n').replace(/^HOST_IP=.*$/m, 'HOST_IP=127.0.0.1');
  const made = spawnSync('bash', ['-c', makeCert], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 60_000 });
  assert.equal(made.status, 0, made.stderr);
  const text = spawnSync('openssl', ['x509', '-in', 'MyCertificate.crt', '-noout', '-ext', 'subjectAltName'], { cwd: dir, encoding: 'utf8' });
  assert.match(text.stdout, /IP Address:127\.0\.0\.1/);
  assert.match(text.stdout, /DNS:localhost/);

  const holotsLine = block.code.split('\n').find((l) => /holots run/.test(l))!;
  const args = holotsLine.trim().replace(/^npx holots /, '').split(/\s+/);
  const cert = join(dir, 'MyCertificate.crt');
  // The guide's own app and flags, on a free port, with the window headless and the certificate paths absolute.
  const app = runHolots([...args.map((a) => (a === 'MyCertificate.crt' ? cert : a === 'MyKey.key' ? join(dir, 'MyKey.key') : a)),
    '--host', '127.0.0.1', '--port', '0', '--set', 'holoviz.headless=true', '--set', 'webrtc_client.status_line=false']);
  try {
    const [, port] = await app.waitForOutput(/open https:\/\/127\.0\.0\.1:(\d+)\//, 60_000);
    const ca = readFileSync(cert, 'utf8');
    for (const name of [undefined, 'localhost']) {
      const page = await fetchPage(Number(port), ca, name);
      assert.equal(page.status, 200);
      assert.match(page.body, /<html/i);
    }
    await assert.rejects(fetchPage(Number(port), ca, 'not-in-the-certificate.example'), /altnames|does not match|ERR_TLS_CERT_ALTNAME_INVALID/);
  } finally {
    await app.stop();
  }
});
