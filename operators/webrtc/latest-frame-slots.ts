/**
 * One slot per session where the newest decoded picture wins, so a slow consumer sees the latest picture
 * and latency never builds up. Taking is round-robin over sessions so each stream gets its turn.
 */
export class LatestFrameSlots<T, M> {
  private readonly slots = new Map<string, { value: T; meta: M; at: number }>();
  private readonly superseded = new Map<string, number>();

  /** Returns true when an older, never-taken picture was replaced. */
  put(id: string, value: T, meta: M): boolean {
    const replaced = this.slots.has(id);
    if (replaced) this.superseded.set(id, (this.superseded.get(id) ?? 0) + 1);
    // Re-insert so Map order is oldest-waiting first.
    this.slots.delete(id);
    this.slots.set(id, { value, meta, at: performance.now() });
    return replaced;
  }

  /** The picture that has waited longest among sessions. */
  take(): { id: string; value: T; meta: M } | undefined {
    const first = this.slots.entries().next();
    if (first.done) return undefined;
    const [id, entry] = first.value;
    this.slots.delete(id);
    return { id, value: entry.value, meta: entry.meta };
  }

  get size(): number { return this.slots.size; }
  supersededCount(id: string): number { return this.superseded.get(id) ?? 0; }
  remove(id: string): void { this.slots.delete(id); this.superseded.delete(id); }
  clear(): void { this.slots.clear(); this.superseded.clear(); }
}
