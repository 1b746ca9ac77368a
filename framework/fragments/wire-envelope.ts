import type { Metadata } from '../metadata.ts';
import type { MessageType } from '../message-type.ts';
import type { Trace } from '../tracking.ts';

/**
 * One message of a flow as it crosses processes. Its bytes (the body):
 *   u32 header length | header (JSON) | binary parts, back to back (big-endian)
 * cross as one or more NATS messages (chunks), each after a 12-byte prefix:
 *   u32 sequence number | u32 sender tag | u16 chunk number | u16 chunk count
 * A large message (a 720p frame is 1.4 MB) goes as chunks of at most `FLOW_CHUNK_BYTES` because
 * nats-server stores and forwards each message whole and the NATS client gathers a large one by
 * doubling a buffer (docs/distributed.md has the figures): in chunks, the server forwards one while the
 * next arrives and the receiver writes each straight into the planes. Chunk 0 holds the whole header.
 * The sequence number sits at a fixed place so one encoding can go to several receivers, each with its
 * own numbering (a copy each: a published buffer is never changed). The sender tag tells apart the
 * chunks of two senders that send to the same receiver at once.
 * The header holds the sender, metadata, the trace (on the wall clock, so another process can continue
 * it) and the value: the codec's header for types with a `wire` codec (their pixels are the parts,
 * never JSON), the value itself for plain types.
 */
export interface EnvelopeHeader {
  from: string;
  meta?: Metadata;
  /** Wall-clock start of the trace (ms since the epoch) and the path so far. */
  trace?: { t0: number; path: string };
  /** The codec's header, or the value itself for a type without a codec. */
  body: unknown;
  /** Byte length of each binary part. */
  parts: number[];
}

export interface DecodedEnvelope<T> {
  seq: number;
  from: string;
  value: T;
  meta: Metadata;
  /** On this process's `performance.now()` clock. */
  trace: Trace | null;
}

export class MalformedMessage extends Error {}

/** Bytes before each chunk's share of the body. */
export const CHUNK_PREFIX = 12;
/**
 * The most a flow puts in one NATS message. Measured (bench:fragments, "NATS client alone, chunked"):
 * 128-512 KB chunks cut a 720p frame's latency and the receiver's CPU; 64 KB costs the server more per byte.
 */
export const FLOW_CHUNK_BYTES = 256 * 1024;
const MAX_CHUNKS = 0xffff;

/** A message ready to publish: chunks are views into one buffer of their own. */
export interface EncodedEnvelope {
  readonly chunks: Uint8Array<ArrayBuffer>[];
  /** Prefix of chunk 0 and the body: the size a single message would have (what max_payload is checked against). */
  readonly size: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A fresh buffer each call (NATS keeps a reference after publish, so it must never be reused). Chunks of
 * at most `chunkBytes` (prefix included; chunk 0 at least holds the whole header); `Infinity`: one.
 */
export function encodeEnvelope<T>(type: MessageType<T>, value: T, seq: number, from: string, meta: Metadata, trace: Trace | null, chunkBytes = Infinity, tag = 0): EncodedEnvelope {
  let body: unknown = value;
  let parts: readonly Uint8Array[] = [];
  if (type.wire) ({ header: body, parts } = type.wire.encode(value));
  const header: EnvelopeHeader = { from, body, parts: parts.map((p) => p.byteLength) };
  if (Object.keys(meta).length) header.meta = meta;
  if (trace) header.trace = { t0: performance.timeOrigin + trace.t0, path: trace.path };
  const head = encoder.encode(JSON.stringify(header));
  const lead = 4 + head.byteLength;
  let bodySize = lead;
  for (const p of parts) bodySize += p.byteLength;
  const per = Math.max(1, chunkBytes - CHUNK_PREFIX);
  const first = Math.min(bodySize, Math.max(per, lead));
  const count = 1 + Math.ceil((bodySize - first) / per);
  if (count > MAX_CHUNKS) throw new Error(`a ${bodySize}-byte message needs ${count} chunks of ${chunkBytes} bytes, more than ${MAX_CHUNKS}`);
  const out = new Uint8Array(bodySize + CHUNK_PREFIX * count);
  const view = new DataView(out.buffer);
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  // The body is written piece by piece (header, then each part) across the chunks' slices.
  const pieces: Uint8Array[] = [head, ...parts];
  let piece = -1, pieceAt = 0;
  let at = 0;
  for (let k = 0; k < count; k++) {
    const n = k === 0 ? first : Math.min(per, bodySize - first - (k - 1) * per);
    view.setUint32(at, seq);
    view.setUint32(at + 4, tag);
    view.setUint16(at + 8, k);
    view.setUint16(at + 10, count);
    let w = at + CHUNK_PREFIX;
    const end = w + n;
    if (k === 0) { view.setUint32(w, head.byteLength); w += 4; piece = 0; }
    while (w < end) {
      const p = pieces[piece];
      const take = Math.min(p.byteLength - pieceAt, end - w);
      out.set(take === p.byteLength ? p : p.subarray(pieceAt, pieceAt + take), w);
      w += take;
      pieceAt += take;
      if (pieceAt === p.byteLength) { piece++; pieceAt = 0; }
    }
    chunks.push(out.subarray(at, end));
    at = end;
  }
  return { chunks, size: CHUNK_PREFIX + bodySize };
}

/** The same message numbered for another receiver, in a buffer of its own. */
export function renumbered(encoded: EncodedEnvelope, seq: number): EncodedEnvelope {
  const source = encoded.chunks[0];
  const last = encoded.chunks[encoded.chunks.length - 1];
  const copy = new Uint8Array(source.buffer.slice(source.byteOffset, last.byteOffset + last.byteLength));
  const view = new DataView(copy.buffer);
  const chunks = encoded.chunks.map((c) => {
    const at = c.byteOffset - source.byteOffset;
    view.setUint32(at, seq);
    return copy.subarray(at, at + c.byteLength);
  });
  return { chunks, size: encoded.size };
}

/** The fixed fields before a chunk's share of the body. */
export interface ChunkPrefix { seq: number; tag: number; index: number; count: number }

export function readPrefix(data: Uint8Array): ChunkPrefix {
  if (data.byteLength < CHUNK_PREFIX) throw new MalformedMessage(`${data.byteLength} bytes, shorter than the ${CHUNK_PREFIX}-byte prefix (sequence number, sender tag, chunk number and count)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const p = { seq: view.getUint32(0), tag: view.getUint32(4), index: view.getUint16(8), count: view.getUint16(10) };
  if (p.count === 0 || p.index >= p.count) throw new MalformedMessage(`chunk ${p.index} of ${p.count}`);
  return p;
}

/** The header of chunk 0 (which must hold all of it) and where the parts' bytes start in `data`. */
export function readHeader(data: Uint8Array): { header: EnvelopeHeader; partsAt: number } {
  if (data.byteLength < CHUNK_PREFIX + 4) throw new MalformedMessage(`${data.byteLength} bytes, shorter than the prefix and header length`);
  const headLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(CHUNK_PREFIX);
  const partsAt = CHUNK_PREFIX + 4 + headLength;
  if (partsAt > data.byteLength) throw new MalformedMessage(`header length ${headLength} runs past the ${data.byteLength}-byte message`);
  let header: EnvelopeHeader;
  try {
    header = JSON.parse(decoder.decode(data.subarray(CHUNK_PREFIX + 4, partsAt))) as EnvelopeHeader;
  } catch (e) {
    throw new MalformedMessage(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || typeof header.from !== 'string' || !Array.isArray(header.parts) || !header.parts.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new MalformedMessage('header lacks from or parts');
  }
  return { header, partsAt };
}

/**
 * The value, metadata and trace of a message whose parts are all here. `complete` adds what did not
 * cross (a request's reply callback) before the value is checked against its schema.
 */
export function finishEnvelope<T>(type: MessageType<T>, seq: number, header: EnvelopeHeader, parts: Uint8Array<ArrayBuffer>[], complete: (value: unknown) => unknown = (v) => v): DecodedEnvelope<T> {
  let value: T;
  try {
    if (type.wire) value = complete(type.wire.decode({ header: header.body, parts })) as T;
    else {
      const parsed = type.schema.safeParse(complete(header.body));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
      value = parsed.data;
    }
  } catch (e) {
    throw new MalformedMessage(`not a ${type.name}: ${(e as Error).message}`);
  }
  const meta = typeof header.meta === 'object' && header.meta !== null ? Object.freeze({ ...header.meta }) : Object.freeze({});
  const t = header.trace;
  const trace = t && typeof t.t0 === 'number' && typeof t.path === 'string' ? { t0: t.t0 - performance.timeOrigin, path: t.path } : null;
  return { seq, from: header.from, value, meta, trace };
}

/**
 * Decodes a message that crossed whole (one chunk). Throws `MalformedMessage` naming what is wrong;
 * parts are views into `data` (no copy).
 */
export function decodeEnvelope<T>(type: MessageType<T>, data: Uint8Array, complete?: (value: unknown) => unknown): DecodedEnvelope<T> {
  const { seq, count } = readPrefix(data);
  if (count !== 1) throw new MalformedMessage(`chunk of ${count} where a whole message was expected`);
  const { header, partsAt } = readHeader(data);
  const total = header.parts.reduce((a, b) => a + b, 0);
  if (partsAt + total !== data.byteLength) throw new MalformedMessage(`parts of ${total} bytes announced, ${data.byteLength - partsAt} present`);
  let at = partsAt;
  const parts = header.parts.map((n) => { const p = data.subarray(at, at + n) as Uint8Array<ArrayBuffer>; at += n; return p; });
  return finishEnvelope(type, seq, header, parts, complete);
}
