/**
 * Faults of fragments over a real nats-server, no browser:
 * - a kill -9'ed copy is declared gone because the server says nobody subscribes to it any more (not
 *   after the heartbeat limit): its keys end with a named reason, a gather does not wait on it, new work
 *   goes to the live copy; a frozen copy (SIGSTOP) is not declared gone by that check (no false alarm);
 * - every message is checked against the server's max_payload: a flow whose frames outgrow it mid-run
 *   fails with the named error (the CLI exits 2 on it), and a reply too big reaches its caller as a
 *   named failure while the answering copy goes on.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { z } from 'zod';
import { Application, defineOperator, FragmentSetupError, OperatorError, port, prepareFragments, type PreparedFragments } from '../../framework/index.ts';
import { VideoFrame, allocateFrame } from '../../operators/messages/index.ts';
import { ROOT } from '../../testkit/app-process.ts';
import { waitFor } from '../../testkit/wait.ts';
import { startNatsServer } from '../../testkit/nats-server.ts';
import { ask, askApp, fragments } from './fixtures/ask-answer.ts';

interface Answerer { proc: ChildProcess; exited: Promise<unknown> }

function answerer(url: string, instance: string): Answerer {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/fragments/fixtures/ask-answer.ts', url, instance], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r(code ?? signal)));
  proc.once('exit', (code) => { if (code) process.stderr.write(`answerer ${instance} exited ${code}: ${stderr}\n`); });
  return { proc, exited };
}

async function asker(url: string): Promise<{ prepared: PreparedFragments; running: Promise<void>; lefts: string[] }> {
  const prepared = await prepareFragments(askApp(), { fragments, run: ['ask'], nats: { servers: [url] }, instance: 'asker' });
  const lefts: string[] = [];
  prepared.link.presence.listen({ joined: () => {}, left: (p, reason) => lefts.push(`${p.instance}: ${reason}`) });
  return { prepared, running: prepared.app.run(), lefts };
}

const peers = (p: PreparedFragments) => p.link.presence.list().map((i) => i.instance).sort();

test('a kill -9\'ed copy is gone as soon as the server says nobody subscribes to it; a frozen one is not', async () => {
  const nats = await startNatsServer();
  const a = answerer(nats.url, 'copy-a');
  const b = answerer(nats.url, 'copy-b');
  const side = await asker(nats.url);
  try {
    await waitFor('both copies known', () => peers(side.prepared).join() === 'copy-a,copy-b', 120_000);
    const opened = [await ask({ kind: 'open' }), await ask({ kind: 'open' })];
    const holders = opened.map((o) => (o.ok ? o.instance : o.error)).sort();
    assert.deepEqual(holders, ['copy-a', 'copy-b'], 'new work goes to the copy holding the fewest keys');
    const keyOf = (who: string) => opened.map((o) => (o.ok ? o.key! : '')).find((k) => k.startsWith(who))!;

    // Frozen past the point where it is asked whether it still exists: it stays (only silence for the
    // heartbeat limit would drop it), and answers for its key once it runs again.
    b.proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 4000));
    b.proc.kill('SIGCONT');
    assert.deepEqual(await ask({ kind: 'get', key: keyOf('copy-b') }), { ok: true, instance: 'copy-b', key: keyOf('copy-b') });
    assert.deepEqual(peers(side.prepared), ['copy-a', 'copy-b'], `no false alarm: ${side.lefts.join('; ')}`);

    a.proc.kill('SIGKILL');
    await a.exited;
    // A gather asks each copy: the dead one is found out instead of waited for, and the live one answers.
    assert.deepEqual(await ask({ kind: 'all' }), { ok: true, instances: ['copy-b'] });
    await waitFor('copy-a declared gone', () => side.lefts.length > 0);
    assert.match(side.lefts[0], /^copy-a: its NATS connection is gone \(.*nobody subscribes to its alive subject\)$/, 'found by the server\'s "no responders", not by the heartbeat limit');
    const lost = await ask({ kind: 'get', key: keyOf('copy-a') });
    assert.equal(lost.ok, false);
    assert.match(!lost.ok ? lost.error : '', /'copy-a-1' ended: instance copy-a \(fragment answer\) left \(its NATS connection is gone/);
    const next = await ask({ kind: 'open' });
    assert.equal(next.ok && next.instance, 'copy-b', 'new work lands on the live copy');
  } finally {
    side.prepared.app.stop('test over');
    await side.running.catch(() => {});
    await side.prepared.close();
    for (const p of [a, b]) { p.proc.kill('SIGCONT'); p.proc.kill('SIGINT'); await p.exited; }
    await nats.stop();
  }
});

/** 320x240 frames first (they fit), then 720p ones (they do not fit a 1 MiB max_payload). */
const GrowingSource = defineOperator({
  name: 'GrowingSource',
  params: z.object({}).strict(),
  outputs: { out: port(VideoFrame) },
  conditions: [{ type: 'periodic', period: '20ms' }],
  initialize: () => ({ i: 0 }),
  compute(_in, emit, ctx) {
    const big = ctx.state.i++ >= 10;
    emit.out(allocateFrame('yuv420p', big ? 1280 : 320, big ? 720 : 240, ctx.state.i));
  },
});

const CountingSink = defineOperator({
  name: 'CountingSink',
  params: z.object({}).strict(),
  inputs: { in: port(VideoFrame) },
  initialize: () => ({ frames: 0 }),
  compute(_in, _emit, ctx) { ctx.state.frames++; received = ctx.state.frames; },
});
let received = 0;

test('every message is checked against max_payload: frames that outgrow it mid-run and a reply too big fail with the named error', async () => {
  const nats = await startNatsServer({ maxPayload: 1024 * 1024 });
  const growing = () => {
    const app = new Application('growing', { logLevel: 'error' });
    app.add('source', GrowingSource);
    app.add('sink', CountingSink);
    app.connect('source', 'out', 'sink', 'in', { capacity: 1, policy: 'pop' });
    return app;
  };
  const split = { send: ['source'], receive: ['sink'] };
  const receiver = await prepareFragments(growing(), { fragments: split, run: ['receive'], nats: { servers: [nats.url] } });
  const receiving = receiver.app.run();
  const sender = await prepareFragments(growing(), { fragments: split, run: ['send'], nats: { servers: [nats.url] } });
  const b = answerer(nats.url, 'copy-b');
  const side = await asker(nats.url);
  try {
    const failure = await sender.app.run().then(() => null, (e: unknown) => e);
    assert.ok(failure instanceof OperatorError && failure.cause instanceof FragmentSetupError, String(failure));
    assert.match((failure.cause as Error).message, /^a 1382\d{3}-byte message on flow source\.out\.sink\.in exceeds the NATS server's max_payload of 1048576 bytes: raise max_payload/);
    await waitFor('the small frames arrived first', () => received >= 5);

    await waitFor('the answering copy known', () => peers(side.prepared).join() === 'copy-b', 120_000);
    const opened = await ask({ kind: 'open' });
    const key = opened.ok ? opened.key : undefined;
    const tooBig = await ask({ kind: 'get', key, replyBytes: 2 * 1024 * 1024 });
    assert.equal(tooBig.ok, false);
    assert.match(!tooBig.ok ? tooBig.error : '', /^instance copy-b could not send its reply on flow asker\.out\.answerer\.in: a 2097\d{3}-byte reply on flow asker\.out\.answerer\.in exceeds the NATS server's max_payload of 1048576 bytes/);
    assert.deepEqual(await ask({ kind: 'get', key }), { ok: true, instance: 'copy-b', key }, 'the answering copy goes on');
  } finally {
    await sender.close();
    receiver.app.stop('test over');
    await receiving.catch(() => {});
    await receiver.close();
    side.prepared.app.stop('test over');
    await side.running.catch(() => {});
    await side.prepared.close();
    b.proc.kill('SIGINT');
    await b.exited;
    await nats.stop();
  }
});
