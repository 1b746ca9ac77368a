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
  // A ring: each Schedulable is in it at most once (the `queued` flag), so it never holds more
  // than the number of operators and never grows during a drain.
  private items: (Schedulable | undefined)[] = new Array(16);
  private head = 0;
  private size = 0;
  private draining = false;
  private yieldPending = false;
  private stopped = false;
  /** Until the first drain, kicks only enqueue: no operator computes before every operator has started. */
  private scheduling = false;

  /** True while a drain runs or is about to resume after yielding. */
  get busy(): boolean { return this.draining || this.yieldPending; }

  enqueue(s: Schedulable): void {
    if (s.queued || this.stopped) return;
    s.queued = true;
    if (this.size === this.items.length) this.grow();
    this.items[(this.head + this.size) & (this.items.length - 1)] = s;
    this.size++;
  }

  /** Enqueue and drain now, unless a drain is already running (it will reach the item). */
  kick(s: Schedulable): void {
    this.enqueue(s);
    if (this.scheduling && !this.draining && !this.yieldPending) this.drain();
  }

  /** From now on a kick drains at once (drain() also opens). */
  open(): void { this.scheduling = true; }

  /** Runs until the list is empty or the time slice is used up; `idleHook` fires when it empties. */
  drain(): void {
    if (this.draining) return;
    this.scheduling = true;
    this.draining = true;
    const deadline = performance.now() + SLICE_MS;
    let n = 0;
    try {
      while (this.size > 0 && !this.stopped) {
        const s = this.items[this.head]!;
        this.items[this.head] = undefined;
        this.head = (this.head + 1) & (this.items.length - 1);
        this.size--;
        s.queued = false;
        s.step();
        if ((++n & 255) === 0 && performance.now() > deadline) {
          this.scheduleYield();
          return;
        }
      }
    } finally {
      this.draining = false;
    }
    if (!this.yieldPending) this.idleHook?.();
  }

  /** Called each time the list runs empty (the application checks whether the run is over). */
  idleHook: (() => void) | undefined;

  private grow(): void {
    const bigger: (Schedulable | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.size; i++) bigger[i] = this.items[(this.head + i) & (this.items.length - 1)];
    this.items = bigger;
    this.head = 0;
  }

  private scheduleYield(): void {
    this.yieldPending = true;
    setImmediate(() => {
      this.yieldPending = false;
      this.drain();
    });
  }

  stop(): void {
    this.stopped = true;
    for (let i = 0; i < this.size; i++) this.items[(this.head + i) & (this.items.length - 1)]!.queued = false;
    this.items.fill(undefined);
    this.head = 0;
    this.size = 0;
  }
}
