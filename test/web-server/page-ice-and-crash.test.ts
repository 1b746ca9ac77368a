import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Route } from 'playwright-core';
import { send } from '../../testkit/http.ts';
import { freePort, PAGE_DIR, runHolots, type AppProcess } from '../../testkit/app-process.ts';
import { launchChromium, peerConfigurations, recordPeerConfigurations, startStreaming, waitPageState, type Browser } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';

const APP = 'test/web-server/fixtures/turn-page.yaml';
const TURN = { urls: ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp'], username: 'holots-user', credential: 'holots-secret' };

/** The fixture app as a user runs it (its own process, so a test can SIGKILL it). */
async function startHolots(port: number): Promise<AppProcess> {
  const app = runHolots(['run', APP, '--set', `web_server.port=${port}`, '--set', `web_server.static_dir=${PAGE_DIR}`]);
  await app.waitForOutput(/holots: open http:\/\//);
  return app;
}

describe('the page takes its ICE servers from the app, and says so quickly when holots dies', () => {
  let browser: Browser;
  let port: number;
  let app: AppProcess | undefined;
  before(async () => {
    port = await freePort();
    browser = await launchChromium();
  });
  after(async () => {
    await app?.stop();
    await browser?.close();
  });

  test('GET /config answers the app\'s ice_servers (URL strings as objects, TURN credentials kept); other methods 405', async () => {
    app = await startHolots(port);
    const base = `http://127.0.0.1:${port}`;
    const r = await send(base, 'GET', '/config');
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers['content-type'] as string, /^application\/json/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.deepEqual(r.json(), { iceServers: [{ urls: 'stun:127.0.0.1:3478' }, TURN] });
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const bad = await send(base, method, '/config', { headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assert.equal(bad.status, 405, `${method} /config: ${bad.body}`);
      assert.match(bad.headers.allow as string, /GET/);
      assert.match(bad.json().error, /not allowed/);
    }
    assert.equal((await send(base, 'GET', '/config')).status, 200, 'still serves after the bad requests');
  });

  test('the page\'s RTCPeerConnection gets the TURN server with its credentials and streams on loopback; SIGKILL of holots is reported as such; Start works once it is back', async (t) => {
    app ??= await startHolots(port);
    const base = `http://127.0.0.1:${port}`;
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await recordPeerConfigurations(page);
      await startStreaming(page, `${base}/`, '320x240', 'VP8/90000');
      const configs = await peerConfigurations(page);
      assert.equal(configs.length, 1, JSON.stringify(configs));
      const servers = configs[0].iceServers ?? [];
      const turn = servers.find((s) => [s.urls].flat().some((u) => u.startsWith('turn:')));
      assert.ok(turn, `the page's peer connection has the TURN server: ${JSON.stringify(servers)}`);
      assert.deepEqual([turn.urls].flat(), TURN.urls);
      assert.equal(turn.username, TURN.username);
      assert.equal(turn.credential, TURN.credential);
      await waitFor('decoded frames on the server', async () => {
        const s = (await send(base, 'GET', '/stats')).json().sessions as { framesDecoded: number }[];
        return s.some((x) => x.framesDecoded >= 5);
      });

      const killedAt = Date.now();
      app.proc.kill('SIGKILL');
      await app.exited;
      // Generous: the page's own heartbeat notices within about two seconds; ICE alone would take far longer and blame the network.
      await page.waitForFunction(() => /holots stopped or is unreachable/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 15_000 });
      t.diagnostic(`the page said holots stopped ${Date.now() - killedAt} ms after SIGKILL (not asserted: timing belongs in benchmarks)`);
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
      assert.match(await page.textContent('#message') ?? '', /holots stopped or is unreachable/);
      assert.doesNotMatch(await page.textContent('#message') ?? '', /ICE/);
      assert.equal(await page.isDisabled('#start'), false, 'Start is offered again');

      app = await startHolots(port);
      await page.click('#start');
      await waitPageState(page, 'streaming');
      await waitFor('decoded frames after the restart', async () => {
        const s = (await send(base, 'GET', '/stats')).json().sessions as { framesDecoded: number }[];
        return s.some((x) => x.framesDecoded >= 5);
      });
      await page.click('#stop');
      await waitPageState(page, 'idle');
      assert.deepEqual(pageErrors, []);
    } finally {
      await page.close();
    }
  });

  test('holots killed while the page waits for its answer: the heartbeat runs from Start, so the page says holots stopped', async (t) => {
    app ??= await startHolots(port);
    const base = `http://127.0.0.1:${port}`;
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // The offer is held in the browser, so the page is still waiting for its answer when holots dies.
    let held: Route | undefined;
    const offerSent = new Promise<void>((resolve) => { void page.route(`${base}/offer`, (route) => { held = route; resolve(); }); });
    try {
      await page.goto(`${base}/`);
      await waitPageState(page, 'idle');
      await page.click('#start');
      await offerSent;
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'connecting');
      const killedAt = Date.now();
      app.proc.kill('SIGKILL');
      await app.exited;
      app = undefined;
      await page.waitForFunction(() => /holots stopped or is unreachable/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 15_000 });
      t.diagnostic(`the page said holots stopped ${Date.now() - killedAt} ms after SIGKILL, before any answer (not asserted: timing belongs in benchmarks)`);
      assert.equal(await page.evaluate(() => document.body.dataset.state), 'error');
      assert.match(await page.textContent('#message') ?? '', /holots stopped or is unreachable/);
      assert.equal(await page.isDisabled('#start'), false, 'Start is offered again');
      assert.equal(await page.$eval('#preview', (v) => (v as HTMLVideoElement).srcObject), null, 'the camera is released');
      assert.deepEqual(pageErrors, []);
    } finally {
      await held?.abort().catch(() => undefined);
      await page.close();
    }
  });
});
