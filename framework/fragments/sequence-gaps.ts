/**
 * Counts messages lost on the way, per sender, from the sequence numbers each sender gives this
 * receiver (1, 2, 3, ...; a restarted sender or receiver has a new id, so numbering starts at 1 again).
 * A number at or below the last one (a duplicate or a reordering) is counted as stale and not delivered.
 */
export class SequenceGaps {
  private readonly last = new Map<string, number>();
  lost = 0;
  stale = 0;

  /** Returns the number of messages missing just before this one, or -1 when it must be dropped. */
  observe(sender: string, seq: number): number {
    const prev = this.last.get(sender) ?? 0;
    if (seq <= prev) { this.stale++; return -1; }
    const missing = seq - prev - 1;
    this.lost += missing;
    this.last.set(sender, seq);
    return missing;
  }

  forget(sender: string): void { this.last.delete(sender); }
  senders(): string[] { return [...this.last.keys()]; }
}
