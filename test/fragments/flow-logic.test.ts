/**
 * The flow logic of fragments without a network: credit per receiver, loss counted from sequence
 * numbers, the wire envelope (codec parts, plain JSON checked by schema, malformed input), the fragment
 * map's checks, and relays inside a real Application (credit holds the sender's queue to its policy).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { Application, CreditLedger, SequenceGaps, checkFragments, crossingFlows, defineMessage, defineOperator, port } from '../../framework/index.ts';
import { decodeEnvelope, encodeEnvelope, MalformedMessage, renumbered } from '../../framework/fragments/wire-envelope.ts';
import { allocateFrame, VideoFrame } from '../../operators/messages/index.ts';
import { PingRxOp, PingTxOp } from '../../operators/ping/index.ts';

test('credit: a receiver without credit is skipped, an ack gives credit back, one slow receiver never blocks another', () => {
  const ledger = new CreditLedger(2, 1000);
  ledger.add('slow');
  ledger.add('fast');
  for (let i = 0; i < 2; i++) { ledger.take('slow', 0); ledger.take('fast', 0); }
  assert.equal(ledger.canSend('slow'), false);
  assert.equal(ledger.anyCredit(), false);
  assert.equal(ledger.ack('fast', 1), true);
  assert.equal(ledger.ack('fast', 1), false, 'a repeated ack gives nothing');
  assert.equal(ledger.canSend('fast'), true);
  assert.equal(ledger.canSend('slow'), false);
  assert.equal(ledger.take('fast', 0), 3, 'each receiver numbers its own messages');
  ledger.skip('slow');
  assert.deepEqual(ledger.stats().slow, { sent: 2, inFlight: 2, skipped: 1 });
});

test('credit: unacknowledged messages are given back after the timeout, on reconnect and when a receiver leaves, and counted lost', () => {
  const ledger = new CreditLedger(1, 1000);
  ledger.add('a');
  ledger.take('a', 0);
  assert.equal(ledger.expire(500), 0);
  assert.equal(ledger.expire(1500), 1);
  assert.equal(ledger.canSend('a'), true);
  ledger.take('a', 2000);
  ledger.suspend();
  assert.equal(ledger.anyCredit(), false, 'nothing is sent while disconnected');
  assert.equal(ledger.resume(), 1);
  ledger.take('a', 3000);
  ledger.remove('a');
  assert.equal(ledger.lost, 3);
  assert.throws(() => new CreditLedger(0, 1), /window/);
});

test('sequence numbers count what was lost per sender; a restarted sender (new id) starts again at 1', () => {
  const gaps = new SequenceGaps();
  assert.equal(gaps.observe('s1', 1), 0);
  assert.equal(gaps.observe('s1', 2), 0);
  assert.equal(gaps.observe('s1', 5), 2);
  assert.equal(gaps.observe('s1', 4), -1, 'late or repeated: not delivered');
  assert.equal(gaps.observe('s2', 3), 2, 'the first two of a new sender never came');
  assert.equal(gaps.lost, 4);
  assert.equal(gaps.stale, 1);
});

test('envelope: a VideoFrame crosses as header + planes (no JSON of pixels); metadata and trace cross; renumbering copies', () => {
  const frame = allocateFrame('yuv420p', 64, 48, 1234);
  frame.planes[0].data.fill(7);
  frame.planes[2].data.fill(200);
  const trace = { t0: performance.now() - 5, path: 'a -> b' };
  const data = encodeEnvelope(VideoFrame, frame, 9, 'ingest-1', { sessionId: 'x' }, trace);
  assert.ok(data.byteLength < 64 * 48 * 1.5 + 400, `binary planes, small header (${data.byteLength} bytes)`);
  const env = decodeEnvelope(VideoFrame, data);
  assert.equal(env.seq, 9);
  assert.equal(env.from, 'ingest-1');
  assert.equal(env.value.width, 64);
  assert.equal(env.value.planes[0].data[100], 7);
  assert.equal(env.value.planes[2].data[10], 200);
  assert.deepEqual(env.meta, { sessionId: 'x' });
  assert.equal(env.trace!.path, 'a -> b');
  assert.ok(Math.abs(env.trace!.t0 - trace.t0) < 0.01, 'the trace start maps back onto this clock');
  const copy = renumbered(data, 10);
  assert.equal(decodeEnvelope(VideoFrame, copy).seq, 10);
  assert.equal(decodeEnvelope(VideoFrame, data).seq, 9, 'the published buffer is never changed');
});

test('envelope: a plain type crosses as JSON and is checked by its schema; malformed input is named', () => {
  const Point = defineMessage('Point', z.object({ x: z.number(), y: z.number() }));
  assert.deepEqual(decodeEnvelope(Point, encodeEnvelope(Point, { x: 1, y: 2 }, 1, 's', {}, null)).value, { x: 1, y: 2 });
  const wrong = encodeEnvelope(Point as never, { x: 'one' } as never, 1, 's', {}, null);
  assert.throws(() => decodeEnvelope(Point, wrong), (e: Error) => e instanceof MalformedMessage && /not a Point: x/.test(e.message));
  assert.throws(() => decodeEnvelope(Point, new TextEncoder().encode('garbage!')), /header length .* runs past/);
  assert.throws(() => decodeEnvelope(Point, new Uint8Array(3)), /shorter than/);
  const frame = encodeEnvelope(VideoFrame, allocateFrame('gray', 8, 8), 1, 's', {}, null);
  assert.throws(() => decodeEnvelope(VideoFrame, frame.subarray(0, frame.byteLength - 1)), /parts of 64 bytes announced, 63 present/);
});

test('fragment map: each operator in exactly one fragment; crossing flows listed', () => {
  const app = new Application('t', { logLevel: 'error' });
  const tx = app.add('tx', PingTxOp);
  const rx = app.add('rx', PingRxOp);
  app.addFlow(tx, rx);
  assert.throws(() => checkFragments(app, { a: ['tx'] }), /'rx' is in no fragment/);
  assert.throws(() => checkFragments(app, { a: ['tx', 'rx'], b: ['rx'] }), /'rx' is in two fragments \('a' and 'b'\)/);
  assert.throws(() => checkFragments(app, { a: ['tx', 'rx', 'nope'] }), /lists 'nope', which is not an operator/);
  checkFragments(app, { a: ['tx'], b: ['rx'] });
  assert.deepEqual(crossingFlows(app, { a: ['tx'], b: ['rx'] }).map((f) => `${f.fromFragment}->${f.toFragment}`), ['a->b']);
  assert.deepEqual(crossingFlows(app, { a: ['tx', 'rx'] }), []);
});

test('relay semantics in one process: a sink that waits for credit keeps the flow queue to its capacity and policy (newest wins)', async () => {
  // The sender relay computes only when credit wakes it; stand in for it with an asynchronous sink.
  let wake = () => {};
  const got: number[] = [];
  const Gated = defineOperator({
    name: 'Gated',
    params: z.object({}),
    inputs: { in: port(defineMessage('number', z.number())) },
    conditions: [{ type: 'asynchronous' }],
    start(ctx) { wake = () => ctx.notify(); },
    compute({ in: v }) { got.push(v); },
  });
  const app = new Application('credit', { logLevel: 'error' });
  const tx = app.add('tx', PingTxOp, { conditions: [{ type: 'count', count: 50 }] });
  const sink = app.add('sink', Gated);
  app.connect(tx.name, 'out', sink.name, 'in', { capacity: 1, policy: 'pop' });
  const done = app.run();
  await new Promise((r) => setTimeout(r, 50));
  wake(); // one credit
  await new Promise((r) => setTimeout(r, 20));
  app.stop();
  await done;
  assert.equal(got.length, 1, 'without credit nothing more is taken');
  assert.equal(app.drops()['tx.out -> sink.in'], 0, 'a gating producer waits for room rather than dropping');
});
