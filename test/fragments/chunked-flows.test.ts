/**
 * A 720p flow between two fragments over a real nats-server crosses as chunks: every picture arrives
 * byte for byte as the source drew it; a frame with a chunk missing is dropped and counted lost (by its
 * sequence number), a malformed chunk is logged with its subject and dropped, and the flow goes on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import { Application, createLogger, defineOperator, port, prepareFragments } from '../../framework/index.ts';
import { encodeEnvelope, FLOW_CHUNK_BYTES } from '../../framework/fragments/wire-envelope.ts';
import { VideoFrame } from '../../operators/messages/index.ts';
import { renderTestPattern, TestPatternOp, TestPatternParams } from '../../operators/video/test-pattern.ts';
import { startNatsServer } from '../../testkit/nats-server.ts';
import { waitFor } from '../../testkit/wait.ts';

const PATTERN = TestPatternParams.parse({ width: 1280, height: 720, format: 'yuv420p', pattern: 'moving_box', speed: 40 });

/** Checks each frame against the picture the source drew for its timestamp (or a ghost sender's, by metadata). */
function checkingSink(seen: { index: number; from: string; intact: boolean }[]) {
  return defineOperator({
    name: 'CheckingSink',
    params: z.object({}),
    inputs: { in: port(VideoFrame) },
    compute({ in: frame }, _emit, ctx) {
      const ghost = ctx.metadata.ghost as number | undefined;
      const index = ghost ?? Math.round((frame.timestamp * PATTERN.fps) / 1000);
      const want = renderTestPattern(PATTERN, index);
      const intact = frame.planes.length === 3 && frame.planes.every((p, k) => p.stride === want.planes[k].stride && Buffer.from(p.data).equals(Buffer.from(want.planes[k].data)));
      seen.push({ index, from: ghost === undefined ? 'source' : 'ghost', intact });
    },
  });
}

test('720p frames cross in chunks intact; a frame missing a chunk is counted lost, a malformed chunk is named, the flow goes on', async () => {
  const nats = await startNatsServer();
  const lines: string[] = [];
  const seen: { index: number; from: string; intact: boolean }[] = [];
  const whole = () => {
    const app = new Application('chunks', { logger: createLogger('info', 'chunks', (l) => lines.push(l)) });
    app.add('source', TestPatternOp, { params: { ...PATTERN }, conditions: [{ type: 'periodic', period: '20Hz' }] });
    app.add('sink', checkingSink(seen));
    app.connect('source', 'out', 'sink', 'in', { capacity: 2, policy: 'pop' });
    return app;
  };
  const fragments = { send: ['source'], receive: ['sink'] };
  const receiver = await prepareFragments(whole(), { fragments, run: ['receive'], nats: { servers: [nats.url] }, instance: 'rx' });
  const sender = await prepareFragments(whole(), { fragments, run: ['send'], nats: { servers: [nats.url] }, instance: 'tx' });
  const runs = [receiver.app.run(), sender.app.run()];
  try {
    await waitFor('10 frames from the source', () => seen.filter((s) => s.from === 'source').length >= 10, 60_000);
    sender.app.stop('enough');
    await runs[1];
    await sender.close();

    // A sender of our own on the flow's subject: frames 1-3 of a ghost, frame 2 without its chunk 3.
    const subject = 'holots.chunks.flow.source.out.sink.in.rx';
    const nc = await connect({ servers: nats.url });
    const ghost = (i: number) => encodeEnvelope(VideoFrame, renderTestPattern(PATTERN, i), i, 'ghost', { ghost: i }, null, FLOW_CHUNK_BYTES, 7).chunks;
    for (const c of ghost(1)) nc.publish(subject, c);
    ghost(2).forEach((c, k) => { if (k !== 3) nc.publish(subject, c); });
    const bad = ghost(3)[0].slice();
    bad.fill(0x7b, 16, 40); // chunk 0 whose header is not JSON
    nc.publish(subject, bad);
    for (const c of ghost(4)) nc.publish(subject, c);
    await nc.flush();
    await nc.close();
    await waitFor('ghost frame 4', () => seen.some((s) => s.from === 'ghost' && s.index === 4), 20_000);
    receiver.app.stop('done');
    await runs[0];
    await receiver.close();

    assert.ok(seen.every((s) => s.intact), `every picture intact: ${JSON.stringify(seen.filter((s) => !s.intact))}`);
    assert.deepEqual(seen.filter((s) => s.from === 'ghost').map((s) => s.index), [1, 4], 'frames 2 (chunk lost) and 3 (malformed) dropped');
    const log = lines.join('\n');
    assert.match(log, /dropped on holots\.chunks\.flow\.source\.out\.sink\.in\.rx: message 2 from ghost lost chunk 3 of 6/);
    assert.match(log, /dropped a malformed message on holots\.chunks\.flow\.source\.out\.sink\.in\.rx: header is not JSON/);
    // Frames 2 and 3 never came whole: lost by their sequence numbers; one of them for a missing chunk.
    assert.match(log, /flow source\.out\.sink\.in \(in\): \d+ received, 2 lost, 1 malformed \(1 of the lost dropped for a missing chunk\)/);
  } finally {
    for (const p of [sender, receiver]) p.app.stop('test end');
    await Promise.allSettled(runs);
    await Promise.allSettled([sender.close(), receiver.close()]);
    await nats.stop();
  }
});
