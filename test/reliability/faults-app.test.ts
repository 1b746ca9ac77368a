import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { freePort, portInUse, ROOT, runHolots } from '../../testkit/app-process.ts';
import { launchChromium, launchKillableChromium, startStreaming, waitPageState } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';
import { makeOffer } from '../web-server/helpers.ts';
import { sdp, send } from '../../testkit/http.ts';
import { activeResources, resourcesBeyond } from './helpers.ts';
import { sessions, startApp } from '../../testkit/seed-graph.ts';

/**
 * Faults around a running app graph (WebServerOp -> WebRTCClientOp -> frame counter): a publisher that
 * never connects, a browser killed mid-stream, and a user operator that throws while video flows.
 */

test('offers whose peer never connects end after connect_timeout_ms: their max_sessions places come back (429, then 201)', { timeout: 30_000 }, async (t) => {
  const h = await startApp({}, { max_sessions: 2, connect_timeout_ms: 1500 });
  try {
    for (let i = 0; i < 2; i++) {
      const offer = await makeOffer();
      // No candidates and a publisher that is gone: ICE can never start.
      const r = await send(h.base, 'POST', '/whip', sdp(offer.sdp.replace(/^a=(candidate:.*|end-of-candidates)\r\n/mg, '')));
      await offer.close();
      assert.equal(r.status, 201, r.body);
    }
    const third = await makeOffer();
    assert.equal((await send(h.base, 'POST', '/whip', sdp(third.sdp))).status, 429);
    const t0 = performance.now();
    await waitFor('the two dead sessions to end', async () => (await sessions(h.base)).length === 0, 10_000);
    t.diagnostic(`dead sessions reaped ${Math.round(performance.now() - t0)} ms after the 429 (connect_timeout_ms 1500)`);
    assert.equal(h.logs.filter((l) => /closed: not connected within 1500 ms/.test(l)).length, 2, h.logs.join('\n'));
    const again = await send(h.base, 'POST', '/whip', sdp(third.sdp));
    assert.equal(again.status, 201, again.body);
    assert.equal((await send(h.base, 'DELETE', again.headers.location as string)).status, 200);
    await third.close();
  } finally {
    await h.stop();
  }
});

test('Chromium killed mid-stream: the session is reaped within the ICE consent timeout, its decoder and sockets are freed, the next Start works', { timeout: 120_000 }, async (t) => {
  const h = await startApp();
  const baseline = activeResources();
  const server = await launchKillableChromium();
  let next: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    const page = await (await browser.newContext()).newPage();
    await startStreaming(page, `${h.base}/`, '320x240', 'VP8/90000');
    const s = await waitFor('decoded frames', async () => (await sessions(h.base)).find((x) => x.framesDecoded >= 15));

    // SIGKILL the whole browser (process group: renderer and network service too): no BYE, no DTLS close.
    const pid = server.process().pid!;
    try { process.kill(-pid, 'SIGKILL'); } catch { process.kill(pid, 'SIGKILL'); }
    const killedAt = performance.now();
    await waitFor('the session to be reaped', async () => (await sessions(h.base)).length === 0, 60_000, 250);
    const reapS = (performance.now() - killedAt) / 1000;
    t.diagnostic(`session reaped ${reapS.toFixed(1)} s after SIGKILL (werift consent expiry 30 s + disconnect_grace_ms 3 s)`);
    assert.ok(reapS <= 40, `reaped after ${reapS.toFixed(1)} s, beyond the 30 s consent timeout + grace`);
    // The 'closed' line is logged only after the peer connection and the decoder have been closed.
    assert.ok(h.logs.some((l) => new RegExp(`session ${s.id} closed: connection`).test(l)), h.logs.filter((l) => l.includes(s.id)).join('\n'));
    await server.close().catch(() => undefined);
    await waitFor('resources back to baseline', () => resourcesBeyond(baseline).length === 0, 10_000).catch(() => undefined);
    assert.deepEqual(resourcesBeyond(baseline), [], `left behind by the killed session (baseline ${JSON.stringify(baseline)})`);

    next = await launchChromium();
    const page2 = await next.context.newPage();
    const before = h.frames.total();
    await startStreaming(page2, `${h.base}/`, '320x240', 'VP8/90000');
    await waitFor('frames from the next session', async () => (await sessions(h.base)).find((x) => x.id !== s.id && x.framesDecoded >= 15));
    assert.ok(h.frames.total() > before + 10, 'the next session\'s pictures did not reach the end of the graph');
    await page2.click('#stop');
    await waitPageState(page2, 'idle');
  } finally {
    await next?.close();
    await server.close().catch(() => undefined);
    await h.stop();
  }
});

test('an operator that throws while video flows: the app stops, names the operator, exits 1 and frees the port', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const app = runHolots(['run', join(ROOT, 'test/reliability/fixtures/throwing-app.yaml'), '--set', `web_server.port=${port}`]);
  const browser = await launchChromium();
  try {
    await app.waitForOutput(/holots: open http/);
    const page = await browser.context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await waitPageState(page, 'idle');
    await page.selectOption('#video-resolution', '320x240');
    await page.click('#start');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([app.exited, new Promise((r) => { timer = setTimeout(() => r('still running after 30 s'), 30_000); })]);
    clearTimeout(timer);
    assert.equal(code, 1, app.stderr);
    assert.match(app.stderr, /operator 'boom' \(ThrowOnFrameOp\) failed in compute: failing on purpose at picture 30 \(320x240\)/);
    assert.equal(await portInUse(port), false, 'the port is still held after exit');
  } finally {
    await app.stop();
    await browser.close();
  }
});
