/**
 * The seed app split over two machines, as docs/distributed.md tells it: host A runs nats-server, the web
 * fragment and viz; host B runs an ingest worker that reaches NATS at A's address; the browser is a third
 * machine. Each host is a network namespace with its own address (testkit/netns.ts), so nothing can take
 * a loopback shortcut: the worker answers with its own host candidate and the browser's media goes
 * straight to it, while its decoded pictures cross to viz over NATS. Skipped, saying why, where the
 * test may not create network namespaces (no CAP_NET_ADMIN).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runHolots, type AppProcess } from '../../testkit/app-process.ts';
import { launchChromium, startStreaming, type Browser } from '../../testkit/chromium.ts';
import { startNatsServer, type NatsServer } from '../../testkit/nats-server.ts';
import { createHosts } from '../../testkit/netns.ts';
import { waitFor } from '../../testkit/wait.ts';
import { readPictures, splitVariant, stats } from './fixtures/split-app.ts';

const STARTUP_MS = 120_000;
const WEB_PORT = 8080;

const network = await createHosts(['a', 'b']).catch((err: Error) => ({ unavailable: err.message }));
const skip = 'unavailable' in network ? `no simulated hosts here: ${network.unavailable}` : false;

test('two hosts: nats-server, web and viz on A, an ingest worker on B; the browser streams straight to B and pictures reach viz on A', { skip }, async () => {
  if ('unavailable' in network) return;
  const [a, b] = network.hosts;
  const dir = mkdtempSync(join(tmpdir(), 'holots-two-hosts-'));
  const app = splitVariant(dir);
  const env = { ...process.env };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const procs: AppProcess[] = [];
  let nats: NatsServer | undefined;
  let browser: Browser | undefined;
  try {
    nats = await startNatsServer({ host: a.address, netns: a.netns });
    const fragment = (host: typeof a, name: string, instance: string, ...extra: string[]) => {
      const p = runHolots(['run', app, '--fragment', name, '--nats', nats!.url, '--instance', instance, '--set', 'webrtc_client.status_line=false', ...extra], env, { netns: host.netns });
      procs.push(p);
      return p;
    };
    const viz = fragment(a, 'viz', 'viz-a', '--set', 'holoviz.width=320', '--set', 'holoviz.height=240');
    const worker = fragment(b, 'ingest', 'ingest-b');
    const web = fragment(a, 'web', 'web-a', '--host', a.address, '--port', String(WEB_PORT));
    const url = `http://${a.address}:${WEB_PORT}/`;
    await web.waitForOutput(/instance ingest-b .*joined/, STARTUP_MS);
    await viz.waitForOutput(/instance viz-a .* on NATS/, STARTUP_MS);

    // The page comes from A over plain http: Chromium grants the camera only to a secure origin, which
    // this flag makes A's for the test (a real deployment serves HTTPS, see docs/guide.md).
    browser = await launchChromium([`--unsafely-treat-insecure-origin-as-secure=http://${a.address}:${WEB_PORT}`]);
    const page = await browser.context.newPage();
    await page.addInitScript(() => {
      const Native = window.RTCPeerConnection;
      const peers: RTCPeerConnection[] = [];
      (window as unknown as { peers: RTCPeerConnection[] }).peers = peers;
      window.RTCPeerConnection = class extends Native {
        constructor(configuration?: RTCConfiguration) { super(configuration); peers.push(this); }
      } as typeof RTCPeerConnection;
    });
    await startStreaming(page, url, '640x480', 'VP8/90000');

    const s = await waitFor('the session in /stats', async () => { const r = await stats(url); return r.sessions.length === 1 && r; });
    assert.equal(s.sessions[0].worker, 'ingest-b', 'the session is held by the worker on host B');
    const id = s.sessions[0].id;
    const pictures = await waitFor('pictures of the session at viz on host A', () => { const p = readPictures(dir)[id]; return p?.frames >= 10 && p.lumaStd > 10 && p; }, 30_000);
    assert.equal(pictures.width, 640);

    // The media path the browser chose: its selected candidate pair ends at B's own address.
    const remote = await waitFor('a selected candidate pair', () => page.evaluate(async () => {
      const pc = (window as unknown as { peers: RTCPeerConnection[] }).peers.at(-1)!;
      const report: Array<Record<string, unknown>> = [];
      (await pc.getStats()).forEach((r: Record<string, unknown>) => report.push(r));
      const transport = report.find((r) => r.type === 'transport');
      const pair = report.find((r) => r.id === transport?.selectedCandidatePairId);
      return (pair && report.find((r) => r.id === pair.remoteCandidateId)?.address as string) ?? null;
    }));
    assert.equal(remote, b.address, 'media goes from the browser straight to the worker on host B');

    await page.click('#stop');
    await page.close();
    for (const p of [web, worker, viz]) assert.equal(await p.stop(), 0, p.stderr.slice(-3000));
  } catch (e) {
    for (const p of procs) process.stderr.write(`--- ${p.proc.spawnargs.slice(-12).join(' ')}\n${p.stderr.slice(-4000)}\n`);
    throw e;
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
    await browser?.close();
    await nats?.stop();
    await network.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
