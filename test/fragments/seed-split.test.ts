/**
 * The seed app split over three kinds of process on a real nats-server: viz (HolovizOp headless, plus
 * two test sinks), two ingest workers (WebRTCClientOp) and the web server, started in reverse order.
 * Two Chromium pages land on two workers and both reach viz with real pictures; the server restarts
 * mid-stream and frames resume; a malformed message on a flow's subject is counted, logged and dropped;
 * kill -9 of a worker ends only its session (named reason) and the next Start lands on the live worker.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { PNG } from 'pngjs';
import { freePort, runHolots, type AppProcess } from '../../testkit/app-process.ts';
import { launchChromium, startStreaming, waitPageState, type Browser } from '../../testkit/chromium.ts';
import { waitFor } from '../../testkit/wait.ts';
import { startNatsServer, type NatsServer } from '../../testkit/nats-server.ts';
import { readPictures, splitVariant, stats } from './fixtures/split-app.ts';

/** Four processes load the whole stack at once; on a busy 2-core machine that takes a while. */
const STARTUP_MS = 120_000;

let browser: Browser;
let nats: NatsServer;
before(async () => { [browser, nats] = await Promise.all([launchChromium(), startNatsServer()]); });
after(async () => { await browser?.close(); await nats?.stop(); });

test('seed app in three processes over NATS: two browsers on two workers, server restart, malformed message, kill -9 of a worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'holots-split-'));
  const app = splitVariant(dir, { pngs: true });
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const fragment = (name: string, instance: string, ...extra: string[]) =>
    runHolots(['run', app, '--fragment', name, '--nats', nats.url, '--instance', instance, '--set', 'webrtc_client.status_line=false', ...extra], env);
  const procs: AppProcess[] = [];
  try {
    // Reverse start order: the receivers first, the web server last.
    const viz = fragment('viz', 'viz-1', '--set', 'holoviz.enable_render_buffer_output=true', '--set', 'holoviz.width=320', '--set', 'holoviz.height=240');
    procs.push(viz);
    await viz.waitForOutput(/instance viz-1 .* on NATS/, STARTUP_MS);
    const workerA = fragment('ingest', 'ingest-a');
    const workerB = fragment('ingest', 'ingest-b');
    procs.push(workerA, workerB);
    const web = fragment('web', 'web-1', '--host', '127.0.0.1', '--port', String(await freePort()));
    procs.push(web);
    const [, url] = await web.waitForOutput(/open (http:\/\/127\.0\.0\.1:\d+\/)/, STARTUP_MS);
    await web.waitForOutput(/instance ingest-a .*joined/, STARTUP_MS);
    await web.waitForOutput(/instance ingest-b .*joined/, STARTUP_MS);

    const page1 = await browser.context.newPage();
    const page2 = await browser.context.newPage();
    await startStreaming(page1, url, '640x480', 'VP8/90000');
    await startStreaming(page2, url, '640x480', 'VP8/90000');

    // Each browser landed on its own worker, and /stats says which.
    const both = await waitFor('two sessions in /stats', async () => { const s = await stats(url); return s.sessions.length === 2 && s; });
    assert.deepEqual(both.sessions.map((s) => s.worker).sort(), ['ingest-a', 'ingest-b'], JSON.stringify(both));

    // Both reach viz with real pictures: per session at the probe, and HolovizOp's rendered output.
    const ids = both.sessions.map((s) => s.id);
    const pictures = await waitFor('pictures of both sessions at viz', () => {
      const p = readPictures(dir);
      return ids.every((id) => p[id]?.frames >= 10 && p[id].lumaStd > 10) && p;
    }, 30_000);
    for (const id of ids) assert.equal(pictures[id].width, 640);
    const rendered = await waitFor('rendered PNGs', () => { const f = readdirSync(join(dir, 'rendered'), { withFileTypes: true }).filter((e) => e.name.endsWith('.png')); return f.length >= 3 && f; });
    const png = PNG.sync.read(readFileSync(join(dir, 'rendered', rendered.at(-1)!.name)));
    let sum = 0, sq = 0;
    for (let i = 0; i < png.data.length; i += 4) { sum += png.data[i + 1]; sq += png.data[i + 1] ** 2; }
    const n = png.data.length / 4;
    assert.ok(Math.sqrt(sq / n - (sum / n) ** 2) > 10, 'HolovizOp rendered a picture, not a blank');

    // nats-server restarts mid-stream: everyone reconnects and frames resume.
    const framesOf = () => { const p = readPictures(dir); return ids.reduce((a, id) => a + (p[id]?.frames ?? 0), 0); };
    await nats.restart(300);
    await viz.waitForOutput(/NATS reconnected/, 20_000);
    await workerA.waitForOutput(/NATS reconnected/, 20_000);
    const afterRestart = framesOf();
    await waitFor('frames after the server restart', () => ids.every((id) => readPictures(dir)[id]?.frames > (pictures[id].frames)) && framesOf() > afterRestart + 20, 20_000);

    // A malformed message on the flow's subject: counted, logged with the subject, dropped; viz goes on.
    const nc = await connect({ servers: nats.url });
    const subject = 'holots.webrtc_video_client.flow.webrtc_client.output.holoviz.receivers.viz-1';
    nc.publish(subject, new TextEncoder().encode('not a frame'));
    await nc.flush();
    await nc.close();
    await viz.waitForOutput(new RegExp(`dropped a malformed message on ${subject.replaceAll('.', '\\.')}: .*\\(1 so far\\)`));
    const beforeMore = framesOf();
    await waitFor('frames after the malformed message', () => framesOf() > beforeMore + 10);

    // kill -9 of the worker holding page1's session: only that session ends, with a named reason.
    const now = await stats(url);
    const victim = now.sessions.find((s) => s.worker === 'ingest-a')!;
    const survivor = now.sessions.find((s) => s.worker === 'ingest-b')!;
    workerA.proc.kill('SIGKILL');
    await web.waitForOutput(new RegExp(`'${victim.id}'.* ended with instance ingest-a`), 40_000);
    const survivorFrames = readPictures(dir)[survivor.id].frames;
    await waitFor('the other session goes on', () => readPictures(dir)[survivor.id].frames > survivorFrames + 15);
    const one = await stats(url);
    assert.deepEqual(one.sessions.map((s) => s.worker), ['ingest-b'], JSON.stringify(one));
    const pageOfVictim = (await page1.evaluate(() => document.getElementById('stat-session')?.textContent ?? '')).includes(victim.id.slice(0, 8)) ? page1 : page2;
    // The victim's page stops (its close is answered 410: the session ended with its worker) and starts again.
    if (await pageOfVictim.evaluate(() => document.body.dataset.state === 'streaming' || document.body.dataset.state === 'connecting')) await pageOfVictim.click('#stop');
    await pageOfVictim.click('#start');
    await waitPageState(pageOfVictim, 'streaming');
    const again = await waitFor('the new session in /stats', async () => { const s = await stats(url); return s.sessions.length === 2 && s; });
    assert.deepEqual(again.sessions.map((s) => s.worker), ['ingest-b', 'ingest-b'], 'the next Start landed on the live worker');
    const fresh = again.sessions.find((s) => s.id !== survivor.id)!.id;
    await waitFor('pictures of the new session at viz', () => readPictures(dir)[fresh]?.frames >= 10 && readPictures(dir)[fresh].lumaStd > 10, 30_000);

    await page1.close();
    await page2.close();
    for (const p of [web, workerB, viz]) assert.equal(await p.stop(), 0, p.stderr.slice(-3000));
    assert.match(viz.stderr, /flow webrtc_client\.output\.holoviz\.receivers \(in\): \d+ received, \d+ lost, 1 malformed/);
  } catch (e) {
    for (const p of procs) process.stderr.write(`--- ${p.proc.spawnargs.slice(-12).join(' ')}\n${p.stderr.slice(-4000)}\n`);
    throw e;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});
