/**
 * NatsMessageAligner without a network (the bytes of a NATS server's stream cut at random places), then
 * through a real nats-server, where the parser of nats.js must get each large message in one piece.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { connectNats } from '../../framework/fragments/nats-connect.ts';
import { NatsMessageAligner, payloadSize } from '../../framework/fragments/nats-message-aligner.ts';
import { startNatsServer } from '../../testkit/nats-server.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const concat = (parts: Uint8Array[]) => Buffer.concat(parts);

/** One server operation: its bytes, and whether it carries a payload (so must reach the parser whole). */
interface Op { bytes: Uint8Array; message: boolean }

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  // Payloads that look like protocol: the aligner must skip them by length, not read them.
  fc.constantFrom(bytes('MSG a 1 99999\r\n'), bytes('\r\n\r\n'), bytes('PING\r\n')),
  fc.integer({ min: 1000, max: 200_000 }).map((n) => new Uint8Array(n).fill(0x4d)),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constantFrom('PING\r\n', 'PONG\r\n', '+OK\r\n', "-ERR 'Slow Consumer'\r\n", 'INFO {"server_id":"x","max_payload":8388608}\r\n').map((s) => ({ bytes: bytes(s), message: false })),
  fc.tuple(payload, fc.boolean(), fc.constantFrom('MSG', 'msg', 'HMSG')).map(([p, reply, kind]) => {
    const replyTo = reply ? ' _INBOX.abc' : '';
    const head = kind === 'HMSG' ? `HMSG flow.a 7${replyTo} 0 ${p.byteLength}\r\n` : `${kind} flow.a 7${replyTo} ${p.byteLength}\r\n`;
    return { bytes: concat([bytes(head), p, bytes('\r\n')]), message: true };
  }),
);

/** Cuts `stream` at the given offsets (sorted, deduplicated), as a socket might deliver it. */
function cut(stream: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((x) => x % (stream.byteLength + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, stream.byteLength]) {
    if (p > from) pieces.push(stream.slice(from, p));
    from = p;
  }
  return pieces;
}

test('aligner: every byte comes out once and in order, and every message comes out inside one piece, wherever the socket cut (but one too large to gather)', () => {
  const caps = fc.constantFrom(undefined, 5000, 150_000);
  fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 40 }), caps, (ops, cuts, cap) => {
    const stream = concat(ops.map((o) => o.bytes));
    const aligner = new NatsMessageAligner(cap);
    const out = cut(stream, cuts).flatMap((p) => aligner.push(p));
    assert.deepEqual(concat(out), stream);
    // Where each output piece starts in the stream; each message must lie inside one of them.
    const starts: number[] = [];
    let at = 0;
    for (const p of out) { starts.push(at); at += p.byteLength; }
    const pieceOf = (offset: number) => { let k = 0; while (k + 1 < starts.length && starts[k + 1] <= offset) k++; return k; };
    let offset = 0;
    for (const o of ops) {
      if (o.message && o.bytes.byteLength <= (cap ?? Infinity)) assert.equal(pieceOf(offset), pieceOf(offset + o.bytes.byteLength - 1), `message at ${offset} split`);
      offset += o.bytes.byteLength;
    }
  }), { numRuns: 300 });
});

test('aligner: a piece of whole messages passes as it came (no copy); a split one is gathered into a buffer of exactly its size', () => {
  const aligner = new NatsMessageAligner();
  const whole = bytes('MSG a 1 5\r\nhello\r\nPING\r\n');
  const [same] = aligner.push(whole);
  assert.equal(same, whole);
  assert.deepEqual(aligner.push(bytes('+OK\r\nMSG a 1 10\r\n01234')).map(text), ['+OK\r\n']);
  assert.deepEqual(aligner.push(bytes('5678')), []);
  const [gathered, rest] = aligner.push(bytes('9\r\nPONG\r\n'));
  assert.equal(text(gathered), 'MSG a 1 10\r\n0123456789\r\n');
  assert.equal(gathered.buffer.byteLength, gathered.byteLength);
  assert.equal(text(rest), 'PONG\r\n');
  // A line cut by the socket is joined to the rest of it.
  assert.deepEqual(aligner.push(bytes('PI')), []);
  assert.deepEqual(aligner.push(bytes('NG\r\nMS')).map(text), ['PING\r\n']);
  assert.deepEqual(aligner.push(bytes('G a 1 2\r\nhi\r\n')).map(text), ['MSG a 1 2\r\nhi\r\n']);
});

test('aligner: a message larger than it gathers passes through as it came, and the next one is gathered again', () => {
  const aligner = new NatsMessageAligner(16);
  assert.deepEqual(aligner.push(bytes('MSG a 1 20\r\n0123')).map(text), ['MSG a 1 20\r\n0123']);
  assert.deepEqual(aligner.push(bytes('456789')).map(text), ['456789']);
  assert.deepEqual(aligner.push(bytes('0123456789\r\nMSG b 1 3\r\nx')).map(text), ['0123456789\r\n']);
  assert.deepEqual(aligner.push(bytes('yz\r\nPONG\r\n')).map(text), ['MSG b 1 3\r\nxyz\r\n', 'PONG\r\n']);
});

test('aligner: what it cannot read goes on unchanged for the parser to report', () => {
  assert.equal(payloadSize(bytes('MSG a 1 x\r\n'), 0, 10), -1);
  assert.equal(payloadSize(bytes('MSGa 1 5\r\n'), 0, 9), -1);
  assert.equal(payloadSize(bytes('HMSG a 1 2 12\r\n'), 0, 14), 12);
  const aligner = new NatsMessageAligner();
  const junk = bytes('MSG a 1 x\r\nBOGUS\r\n');
  assert.deepEqual(concat(aligner.push(junk)), Buffer.from(junk));
  // A "line" longer than any the server sends is not held back.
  const endless = new Uint8Array(100_000).fill(0x41);
  assert.deepEqual(concat(aligner.push(endless)), Buffer.from(endless));
});

test('aligner: through nats-server, large messages reach a subscriber intact, each in a buffer of its own size (the parser never gathered it)', async () => {
  const server = await startNatsServer();
  const nc = await connectNats({ servers: [server.url] }, 'aligner-test');
  try {
    const sizes = [3_110_400, 1_382_400, 17, 0, 200_000, 1_382_400];
    const got: Uint8Array[] = [];
    const all = new Promise<void>((resolve) => nc.subscribe('aligner.test', { callback: (_e, m) => { got.push(m.data); if (got.length === sizes.length) resolve(); } }));
    await nc.flush();
    const sent = sizes.map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + k) & 0xff));
    for (const s of sent) nc.publish('aligner.test', s);
    await all;
    for (let k = 0; k < sizes.length; k++) {
      assert.deepEqual(Buffer.from(got[k]), Buffer.from(sent[k]), `message ${k}`);
      // Gathered by the aligner: the buffer holds the MSG line, the payload and CRLF, nothing more
      // (nats.js's own gathering doubles its buffer: 4 MB and more for the 3.1 MB frame).
      if (sizes[k] > 100_000) assert.ok(got[k].buffer.byteLength < sizes[k] + 100, `message ${k}: buffer of ${got[k].buffer.byteLength} bytes for ${sizes[k]}`);
    }
  } finally {
    await nc.close();
    await server.stop();
  }
});
