import type { MessageType } from '../message-type.ts';
import { CHUNK_PREFIX, finishEnvelope, MalformedMessage, readHeader, readPrefix, type DecodedEnvelope, type EnvelopeHeader } from './wire-envelope.ts';

/** A message whose chunks are arriving: its parts are allocated at chunk 0 and filled in place. */
interface Partial {
  seq: number;
  from: string;
  header: EnvelopeHeader;
  parts: Uint8Array<ArrayBuffer>[];
  count: number;
  /** The next chunk expected. */
  next: number;
  part: number;
  partAt: number;
}

/** Messages in progress at once (one per sender that sends to this receiver); past it the oldest is dropped. */
const MAX_IN_PROGRESS = 16;

/** What `add` made of a chunk. */
export type ChunkOutcome<T> =
  | { kind: 'done'; envelope: DecodedEnvelope<T> }
  | { kind: 'pending' }
  /** A chunk out of turn: the message it belongs to (and any in progress from the same sender) is dropped. */
  | { kind: 'broken'; dropped: string };

/**
 * Puts chunked messages back together, one in progress per sender (NATS keeps one publisher's messages
 * in order, so chunks of a message arrive in order unless some were lost). Each chunk's bytes are
 * copied once, straight into the parts (a frame's planes) that the receiver keeps. A missing or
 * reordered chunk drops its message, which the receiver's sequence numbers then count as lost.
 * `maxBytes` bounds what a chunk 0 may announce (the server's max_payload, which the sender checks too).
 */
export class ChunkAssembly<T> {
  private readonly partials = new Map<number, Partial>();
  /** Messages dropped because a chunk was missing or out of order. */
  incomplete = 0;

  constructor(private readonly type: MessageType<T>, private readonly maxBytes: () => number) {}

  /** Throws `MalformedMessage` (the message in progress from that sender is dropped with it). */
  add(data: Uint8Array, complete?: (value: unknown) => unknown): ChunkOutcome<T> {
    const prefix = readPrefix(data);
    let p = this.partials.get(prefix.tag);
    let dropped = '';
    if (p && (prefix.index === 0 || p.seq !== prefix.seq || p.next !== prefix.index)) {
      dropped = `message ${p.seq} from ${p.from} lost chunk ${p.next} of ${p.count}`;
      this.abandon(prefix.tag);
      p = undefined;
    }
    if (prefix.index === 0) {
      try {
        p = this.begin(data, prefix.seq, prefix.count);
      } catch (e) {
        if (dropped) this.incomplete++;
        throw e;
      }
      this.partials.set(prefix.tag, p);
      // A sender that vanished mid-message must not keep its buffers (nor a flood of bogus starts grow memory).
      if (this.partials.size > MAX_IN_PROGRESS) { this.abandon(this.partials.keys().next().value!); this.incomplete++; }
    } else if (!p) {
      if (!dropped) return { kind: 'broken', dropped: `chunk ${prefix.index} of ${prefix.count} of message ${prefix.seq} came without its start` };
      this.incomplete++;
      return { kind: 'broken', dropped };
    } else {
      this.fill(p, data, CHUNK_PREFIX, prefix.tag);
    }
    if (dropped) this.incomplete++;
    if (p.next < p.count) return dropped ? { kind: 'broken', dropped } : { kind: 'pending' };
    this.partials.delete(prefix.tag);
    if (p.part < p.parts.length) throw new MalformedMessage(`message ${p.seq} from ${p.from} ended with part ${p.part} of ${p.parts.length} unfilled`);
    return { kind: 'done', envelope: finishEnvelope(this.type, p.seq, p.header, p.parts, complete) };
  }

  /** The sender left: what it had in progress will not be finished. */
  forget(from: string): void {
    for (const [tag, p] of this.partials) if (p.from === from) this.abandon(tag);
  }

  private begin(data: Uint8Array, seq: number, count: number): Partial {
    const { header, partsAt } = readHeader(data);
    const total = header.parts.reduce((a, b) => a + b, 0);
    if (total > this.maxBytes()) throw new MalformedMessage(`parts of ${total} bytes announced, more than max_payload (${this.maxBytes()})`);
    if (count > 1 + total) throw new MalformedMessage(`${count} chunks announced for ${total} bytes of parts`);
    // Not zero-filled (every byte is written before the message is handed on), each part in a buffer of its own.
    const parts = header.parts.map((n) => { const b = Buffer.allocUnsafeSlow(n); return new Uint8Array(b.buffer, b.byteOffset, n); });
    const p: Partial = { seq, from: header.from, header, parts, count, next: 0, part: 0, partAt: 0 };
    this.skipEmpty(p);
    this.fill(p, data, partsAt, -1);
    return p;
  }

  private fill(p: Partial, data: Uint8Array, from: number, tag: number): void {
    let at = from;
    while (at < data.byteLength) {
      if (p.part >= p.parts.length) {
        if (tag >= 0) this.abandon(tag);
        throw new MalformedMessage(`message ${p.seq} from ${p.from}: chunk ${p.next} runs past the ${p.parts.length} announced parts`);
      }
      const target = p.parts[p.part];
      const take = Math.min(target.byteLength - p.partAt, data.byteLength - at);
      target.set(data.subarray(at, at + take), p.partAt);
      at += take;
      p.partAt += take;
      if (p.partAt === target.byteLength) { p.part++; p.partAt = 0; this.skipEmpty(p); }
    }
    p.next++;
  }

  private skipEmpty(p: Partial): void {
    while (p.part < p.parts.length && p.parts[p.part].byteLength === 0) p.part++;
  }

  private abandon(tag: number): void {
    this.partials.delete(tag);
  }
}
