/**
 * Flows between fragment processes over a real nats-server (no browser): a slow receiving fragment
 * leaves the sender's memory flat (credit, newest wins); setup mistakes exit 2 naming the fix.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, ROOT, runHolots } from '../../testkit/app-process.ts';
import { waitFor } from '../../testkit/wait.ts';
import { startNatsServer } from '../../testkit/nats-server.ts';

const APP = join(ROOT, 'test/fragments/fixtures/video-split.yaml');
const STARTUP_MS = 120_000;

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

test('a slow receiving fragment leaves the sender\'s memory flat; the receiver gets the newest frames; Ctrl-C ends both cleanly', async () => {
  const nats = await startNatsServer();
  // Receiver first, then sender: any start order works; the receiver takes 250 ms per 720p frame (4 fps of 30).
  const receiver = runHolots(['run', APP, '--fragment', 'receive', '--nats', nats.url, '--set', 'sink.busy_ms=250']);
  const sender = runHolots(['run', APP, '--fragment', 'send', '--nats', nats.url]);
  try {
    await sender.waitForOutput(/flow source\.out\.sink\.in: sending to/, STARTUP_MS);
    await receiver.waitForOutput(/took 5 frames/, 30_000);
    // 240 frames (330 MB) are offered in these 8 s. RSS is sampled throughout, not at two instants: the
    // garbage collector's sawtooth alone spans 33 MiB on Node 20 and 65 MiB on Node 24 (a 10 s period),
    // so two samples can land on a trough and a peak. Queueing what the receiver cannot take would add
    // the whole 330 MB; the credit path keeps the span well under half of that.
    const samples: number[] = [];
    for (let i = 0; i < 32; i++) {
      samples.push(rssMiB(sender.proc.pid!));
      await new Promise((r) => setTimeout(r, 250));
    }
    const span = Math.max(...samples) - Math.min(...samples);
    assert.ok(span < 120, `sender RSS stays bounded: ${samples.map((m) => m.toFixed(0)).join(' ')} MiB`);
    assert.equal(await sender.stop(), 0, sender.stderr);
    assert.equal(await receiver.stop(), 0, receiver.stderr);
    const sent = Number(/\(out\): (\d+) published/.exec(sender.stderr)?.[1]);
    const took = Number(/took (\d+) frames in all/.exec(receiver.stderr)?.[1]);
    // 30 fps for 8 s and more were offered; the sender published only on credit: at most a window ahead of the receiver.
    assert.ok(took >= 5 && sent <= took + 4 && sent < 120, `the sender published only on credit (${sent}), the receiver took what it could (${took})`);
    assert.match(receiver.stderr, /\(in\): \d+ received, 0 lost, 0 malformed/);
  } finally {
    await Promise.all([sender.stop(), receiver.stop()]);
    await nats.stop();
  }
});

test('setup mistakes exit 2 naming the fix: unreachable URL, bad credentials, max_payload too small for the frames', async () => {
  const [secured, small, closedPort] = await Promise.all([
    startNatsServer({ user: 'holots', password: 'right' }),
    startNatsServer({ maxPayload: 1024 * 1024 }),
    freePort(),
  ]);
  const receiver = runHolots(['run', APP, '--fragment', 'receive', '--nats', small.url]);
  try {
    const unreachable = runHolots(['run', APP, '--fragment', 'send', '--nats', `nats://127.0.0.1:${closedPort}`]);
    const refused = runHolots(['run', APP, '--fragment', 'send', '--nats', secured.url, '--nats-user', 'holots', '--nats-password', 'wrong']);
    await receiver.waitForOutput(/instance receive-\w+ .* on NATS/, STARTUP_MS);
    const tooBig = runHolots(['run', APP, '--fragment', 'send', '--nats', small.url]);
    const [a, b, c] = await Promise.all([unreachable.exited, refused.exited, tooBig.exited]);
    assert.equal(a, 2, unreachable.stderr);
    assert.match(unreachable.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+ .*start nats-server/);
    assert.equal(b, 2, refused.stderr);
    assert.match(refused.stderr, /refused the connection .*--nats-user, --nats-password/);
    assert.equal(c, 2, tooBig.stderr);
    assert.match(tooBig.stderr, /a 1382\d{3}-byte message on flow source\.out\.sink\.in exceeds the NATS server's max_payload of 1048576 bytes: raise max_payload/);
    const noFragments = runHolots(['run', 'apps/ping/app.yaml', '--fragment', 'x']);
    assert.equal(await noFragments.exited, 2);
    assert.match(noFragments.stderr, /has no fragments: section/);
  } finally {
    await receiver.stop();
    await Promise.all([secured.stop(), small.stop()]);
  }
});
