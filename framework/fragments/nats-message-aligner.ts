/**
 * Re-cuts the bytes a NATS server sends so that no message is split between two pieces: each message
 * that arrives across several socket reads is gathered, once, into a buffer of exactly its size.
 *
 * Why: Node reads a socket in 64 KB pieces, and nats.js's parser (3.4.0) gathers a message that spans
 * pieces in a buffer that doubles as it grows: 7.5 MB allocated for one 3.1 MB frame, 3.6 MB for a
 * 1.4 MB one. That garbage helped put a fragment process into a state where V8 runs a mark-compact
 * every few frames (docs/benchmarks.md, "Fragments over NATS"). Given a piece that holds the whole
 * message, the parser hands it on as a view with no copy at all. The Go client allocates a message's
 * size once; this does the same in front of the parser, until nats.js does it itself.
 *
 * It reads only the protocol lines (`MSG subject sid [reply] size`, `HMSG subject sid [reply] hsize
 * size`; the last number is the payload's size) and skips payloads by length. Every other line (INFO,
 * PING, +OK, -ERR...) passes through as it came; a line it cannot read passes through too, for the
 * parser to report, and so does a message larger than `maxGatherBytes` (the parser gathers that one).
 */
export class NatsMessageAligner {
  /** A message being gathered: its line, payload and CRLF, and how much of it has arrived. */
  private gathering: Uint8Array | null = null;
  private gathered = 0;
  /** The start of a protocol line whose end has not arrived yet. */
  private partialLine: Uint8Array | null = null;
  /** Bytes of a message too large to gather that are still to pass through as they come. */
  private passing = 0;

  /** `maxGatherBytes`: a message larger than this (line, payload and CRLF) is left to the parser. */
  constructor(private readonly maxGatherBytes = MAX_GATHER_BYTES) {}

  /** Takes the next piece read from the socket; returns the pieces to parse, in order (often none). */
  push(piece: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    /** Where reading resumes in `piece`, and where the bytes not yet handed on start. */
    let at = 0, passFrom = 0;
    if (this.passing > 0) {
      // The rest of a message too large to gather goes on as it came, with what follows it.
      at = Math.min(this.passing, piece.byteLength);
      this.passing -= at;
      if (this.passing > 0) return [piece];
    } else if (this.gathering) {
      at = passFrom = this.fill(piece, 0);
      if (this.gathered < this.gathering.byteLength) return out;
      out.push(this.gathering);
      this.gathering = null;
    }
    if (this.partialLine) {
      // A line cut by the socket: join it to what follows (rare, and the line is short).
      const joined = new Uint8Array(this.partialLine.byteLength + piece.byteLength - at);
      joined.set(this.partialLine);
      joined.set(piece.subarray(at), this.partialLine.byteLength);
      this.partialLine = null;
      piece = joined;
      at = passFrom = 0;
    }
    while (at < piece.byteLength) {
      const lineEnd = piece.indexOf(NL, at);
      if (lineEnd < 0) {
        // No protocol line is this long (the server's limit is 4 KB): not ours to hold; the parser reports it.
        if (piece.byteLength - at > MAX_LINE_BYTES) break;
        if (passFrom < at) out.push(piece.subarray(passFrom, at));
        this.partialLine = piece.slice(at);
        return out;
      }
      const size = payloadSize(piece, at, lineEnd);
      if (size < 0) { at = lineEnd + 1; continue; }
      const end = lineEnd + 1 + size + CRLF_BYTES;
      if (end <= piece.byteLength) { at = end; continue; }
      if (end - at > this.maxGatherBytes) {
        this.passing = end - piece.byteLength;
        break;
      }
      // The message runs past this piece: hand on what came before it, then gather it whole.
      if (passFrom < at) out.push(piece.subarray(passFrom, at));
      this.gathering = new Uint8Array(end - at);
      this.gathered = 0;
      this.fill(piece, at);
      return out;
    }
    if (passFrom < piece.byteLength) out.push(passFrom === 0 ? piece : piece.subarray(passFrom));
    return out;
  }

  /** Copies from `piece` (starting at `from`) into the message being gathered; returns where it stopped. */
  private fill(piece: Uint8Array, from: number): number {
    const target = this.gathering!;
    const n = Math.min(target.byteLength - this.gathered, piece.byteLength - from);
    target.set(piece.subarray(from, from + n), this.gathered);
    this.gathered += n;
    return from + n;
  }
}

const NL = 0x0a;
const CRLF_BYTES = 2;
const MAX_LINE_BYTES = 64 * 1024;
/** nats-server refuses a max_payload above its max_pending (64 MB by default); larger ones are left to the parser. */
const MAX_GATHER_BYTES = 64 * 1024 * 1024;

/**
 * The payload size a `MSG`/`HMSG` line announces (its last field), or -1 for any other line or one
 * that does not parse. `from`..`lineEnd` is the line, `lineEnd` the index of its LF.
 */
export function payloadSize(buf: Uint8Array, from: number, lineEnd: number): number {
  const first = buf[from] | 0x20; // lower case
  const isMsg = first === 0x6d /* m */ && (buf[from + 1] | 0x20) === 0x73 && (buf[from + 2] | 0x20) === 0x67 && isBlank(buf[from + 3]);
  const isHmsg = first === 0x68 /* h */ && (buf[from + 1] | 0x20) === 0x6d && (buf[from + 2] | 0x20) === 0x73 && (buf[from + 3] | 0x20) === 0x67 && isBlank(buf[from + 4]);
  if (!isMsg && !isHmsg) return -1;
  let i = lineEnd - 1;
  if (buf[i] === 0x0d) i--;
  while (i > from && isBlank(buf[i])) i--;
  let size = 0, scale = 1, digits = 0;
  for (; i > from && buf[i] >= 0x30 && buf[i] <= 0x39; i--, digits++) {
    size += (buf[i] - 0x30) * scale;
    scale *= 10;
  }
  if (digits === 0 || digits > 15 || !isBlank(buf[i])) return -1;
  return size;
}

function isBlank(b: number): boolean {
  return b === 0x20 || b === 0x09;
}
