import type { Metadata } from '../metadata.ts';
import type { MessageType } from '../message-type.ts';
import type { Trace } from '../tracking.ts';

/**
 * One message of a flow as it crosses processes, in one buffer:
 *   u32 sequence number | u32 header length | header (JSON) | binary parts, back to back (big-endian).
 * The sequence number sits at a fixed place so one encoding can go to several receivers, each with
 * its own numbering (a copy each: a published buffer is never changed).
 * The header holds the sequence number, the sender, metadata, the trace (on the wall clock, so another
 * process can continue it) and the value: the codec's header for types with a `wire` codec (their
 * pixels are the parts, never JSON), the value itself for plain types.
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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fresh buffer each call: NATS keeps a reference after publish, so it must never be reused. */
export function encodeEnvelope<T>(type: MessageType<T>, value: T, seq: number, from: string, meta: Metadata, trace: Trace | null): Uint8Array<ArrayBuffer> {
  let body: unknown = value;
  let parts: readonly Uint8Array[] = [];
  if (type.wire) ({ header: body, parts } = type.wire.encode(value));
  const header: EnvelopeHeader = { from, body, parts: parts.map((p) => p.byteLength) };
  if (Object.keys(meta).length) header.meta = meta;
  if (trace) header.trace = { t0: performance.timeOrigin + trace.t0, path: trace.path };
  const head = encoder.encode(JSON.stringify(header));
  let size = 8 + head.byteLength;
  for (const p of parts) size += p.byteLength;
  // Not zero-filled (every byte is written below): zeroing a 720p frame's 1.4 MB first is work for nothing.
  const out: Uint8Array<ArrayBuffer> = Buffer.allocUnsafeSlow(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, seq);
  view.setUint32(4, head.byteLength);
  out.set(head, 8);
  let at = 8 + head.byteLength;
  for (const p of parts) { out.set(p, at); at += p.byteLength; }
  return out;
}

/** The same message numbered for another receiver, in a buffer of its own. */
export function renumbered(encoded: Uint8Array<ArrayBuffer>, seq: number): Uint8Array<ArrayBuffer> {
  // A copy (Uint8Array's slice; a Buffer's slice would be a view of the same bytes).
  const copy = Uint8Array.prototype.slice.call(encoded) as Uint8Array<ArrayBuffer>;
  new DataView(copy.buffer, copy.byteOffset, copy.byteLength).setUint32(0, seq);
  return copy;
}

/**
 * Throws `MalformedMessage` naming what is wrong; parts are views into `data` (no copy). `complete`
 * adds what did not cross (a request's reply callback) before the value is checked against its schema.
 */
export function decodeEnvelope<T>(type: MessageType<T>, data: Uint8Array, complete: (value: unknown) => unknown = (v) => v): DecodedEnvelope<T> {
  if (data.byteLength < 8) throw new MalformedMessage(`${data.byteLength} bytes, shorter than the 8-byte prefix (sequence number, header length)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const seq = view.getUint32(0);
  const headLength = view.getUint32(4);
  if (8 + headLength > data.byteLength) throw new MalformedMessage(`header length ${headLength} runs past the ${data.byteLength}-byte message`);
  let header: EnvelopeHeader;
  try {
    header = JSON.parse(decoder.decode(data.subarray(8, 8 + headLength))) as EnvelopeHeader;
  } catch (e) {
    throw new MalformedMessage(`header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || typeof header.from !== 'string' || !Array.isArray(header.parts) || !header.parts.every((n) => Number.isSafeInteger(n) && n >= 0)) {
    throw new MalformedMessage('header lacks from or parts');
  }
  const total = header.parts.reduce((a, b) => a + b, 0);
  if (8 + headLength + total !== data.byteLength) throw new MalformedMessage(`parts of ${total} bytes announced, ${data.byteLength - 8 - headLength} present`);
  let at = 8 + headLength;
  const parts = header.parts.map((n) => { const p = data.subarray(at, at + n) as Uint8Array<ArrayBuffer>; at += n; return p; });
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
