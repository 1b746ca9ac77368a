/**
 * Per-receiver credit of one flow: a sender may have at most `window` messages on the way to a receiver
 * before that receiver acknowledges one. A slow receiver therefore never makes the sender buffer (NATS's
 * publish never pushes back) and never holds back the other receivers (each has its own credit).
 * Credit lost with its messages (a receiver that died, a server that restarted) comes back after
 * `ackTimeoutMs` and is counted as lost. No network here: the flow sender drives it.
 */
export class CreditLedger {
  private readonly receivers = new Map<string, ReceiverCredit>();
  private online = true;
  /** Messages whose ack never came (counted when their credit was given back). */
  lost = 0;

  constructor(readonly window: number, readonly ackTimeoutMs: number) {
    if (!Number.isInteger(window) || window < 1) throw new Error(`credit window must be an integer >= 1, got ${window}`);
  }

  get size(): number { return this.receivers.size; }
  ids(): string[] { return [...this.receivers.keys()]; }
  has(id: string): boolean { return this.receivers.has(id); }

  add(id: string): void {
    if (!this.receivers.has(id)) this.receivers.set(id, { inFlight: new Map(), nextSeq: 1, sent: 0, skipped: 0 });
  }

  /** The receiver left: what it had not acknowledged is lost. */
  remove(id: string): void {
    const r = this.receivers.get(id);
    if (!r) return;
    this.lost += r.inFlight.size;
    this.receivers.delete(id);
  }

  canSend(id: string): boolean {
    const r = this.receivers.get(id);
    return this.online && r !== undefined && r.inFlight.size < this.window;
  }

  /** True when at least one receiver can take a message now. */
  anyCredit(): boolean {
    if (!this.online) return false;
    for (const r of this.receivers.values()) if (r.inFlight.size < this.window) return true;
    return false;
  }

  /** Takes one credit and returns the receiver's next sequence number (each receiver counts its own). */
  take(id: string, now: number): number {
    const r = this.receivers.get(id);
    if (!r || !this.canSend(id)) throw new Error(`no credit for receiver '${id}'`);
    const seq = r.nextSeq++;
    r.inFlight.set(seq, now);
    r.sent++;
    return seq;
  }

  /** A message reached a receiver that had no credit for it (others did): it skipped that receiver. */
  skip(id: string): void {
    const r = this.receivers.get(id);
    if (r) r.skipped++;
  }

  /** Returns true when the ack gave a credit back. Unknown or repeated acks are ignored. */
  ack(id: string, seq: number): boolean {
    return this.receivers.get(id)?.inFlight.delete(seq) ?? false;
  }

  /** Gives back credit for messages unacknowledged longer than the timeout; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const r of this.receivers.values()) {
      for (const [seq, at] of r.inFlight) if (now - at > this.ackTimeoutMs) { r.inFlight.delete(seq); n++; }
    }
    this.lost += n;
    return n;
  }

  /** The connection dropped: nothing can be sent until `resume()`. */
  suspend(): void { this.online = false; }

  /** Back online: whatever was on the way is gone (NATS does not keep it); returns how many. */
  resume(): number {
    this.online = true;
    let n = 0;
    for (const r of this.receivers.values()) { n += r.inFlight.size; r.inFlight.clear(); }
    this.lost += n;
    return n;
  }

  stats(): Record<string, { sent: number; inFlight: number; skipped: number }> {
    return Object.fromEntries([...this.receivers].map(([id, r]) => [id, { sent: r.sent, inFlight: r.inFlight.size, skipped: r.skipped }]));
  }
}

interface ReceiverCredit {
  inFlight: Map<number, number>;
  nextSeq: number;
  sent: number;
  skipped: number;
}
