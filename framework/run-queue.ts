/**
 * The scheduler's ready list. Operators that may have become ready are enqueued (once each) and run
 * from one loop, so a message passing through a chain is a loop iteration per hop rather than a
 * nested call per hop (no recursion, no stack growth for long chains or busy sources).
 */
export interface Schedulable {
  queued: boolean;
  step(): void;
}

/** After this long inside one drain, yield to the event loop so I/O and timers get their turn. */
const SLICE_MS = 8;

export class RunQueue {
  private items: Schedulable[] = [];
  private head = 0;
  private draining = false;
  private yieldPending = false;
  private stopped = false;

  /** True while a drain runs or is about to resume after yielding. */
  get busy(): boolean { return this.draining || this.yieldPending; }

  enqueue(s: Schedulable): void {
    if (s.queued || this.stopped) return;
    s.queued = true;
    this.items.push(s);
  }

  /** Enqueue and drain now, unless a drain is already running (it will reach the item). */
  kick(s: Schedulable): void {
    this.enqueue(s);
    if (!this.draining && !this.yieldPending) this.drain();
  }

  /** Runs until the list is empty or the time slice is used up; `onIdle` fires when it empties. */
  drain(onIdle?: () => void): void {
    if (this.draining) return;
    this.draining = true;
    const deadline = performance.now() + SLICE_MS;
    let n = 0;
    try {
      while (this.head < this.items.length && !this.stopped) {
        const s = this.items[this.head++];
        s.queued = false;
        s.step();
        if ((++n & 255) === 0 && performance.now() > deadline) {
          this.scheduleYield(onIdle);
          return;
        }
      }
      this.items.length = 0;
      this.head = 0;
    } finally {
      this.draining = false;
    }
    if (!this.yieldPending) this.idleHook?.();
  }

  idleHook: (() => void) | undefined;

  private scheduleYield(onIdle?: () => void): void {
    if (this.head > 4096) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.yieldPending = true;
    setImmediate(() => {
      this.yieldPending = false;
      this.drain(onIdle);
    });
  }

  stop(): void {
    this.stopped = true;
    for (let i = this.head; i < this.items.length; i++) this.items[i].queued = false;
    this.items.length = 0;
    this.head = 0;
  }
}
