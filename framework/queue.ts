import { z } from 'zod';

/** What a full queue does with a new message: drop the oldest, drop the newest, or fail the app. */
export const QueuePolicy = z.enum(['pop', 'reject', 'fault']);
export type QueuePolicy = z.infer<typeof QueuePolicy>;

export class QueueFaultError extends Error {
  constructor(readonly connection: string, readonly capacity: number) {
    super(`queue ${connection} is full (capacity ${capacity}) and its policy is 'fault'`);
    this.name = 'QueueFaultError';
  }
}

/**
 * A bounded FIFO ring buffer. `push` applies the policy when full and reports what it dropped, so
 * connections can count drops without the queue knowing about them.
 */
export class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;
  dropped = 0;

  constructor(readonly capacity: number, readonly policy: QueuePolicy, readonly label = 'queue') {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`${label}: capacity must be an integer >= 1, got ${capacity}`);
    this.items = new Array(capacity);
  }

  get size(): number { return this.count; }
  get full(): boolean { return this.count === this.capacity; }
  get empty(): boolean { return this.count === 0; }

  /** Returns false when the new message was not kept (policy `reject`). Throws on `fault`. */
  push(item: T): boolean {
    if (this.count === this.capacity) {
      if (this.policy === 'reject') { this.dropped++; return false; }
      if (this.policy === 'fault') throw new QueueFaultError(this.label, this.capacity);
      // pop: the oldest gives way
      this.items[this.head] = undefined;
      this.head = this.next(this.head);
      this.count--;
      this.dropped++;
    }
    let tail = this.head + this.count;
    if (tail >= this.capacity) tail -= this.capacity;
    this.items[tail] = item;
    this.count++;
    return true;
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = this.next(this.head);
    this.count--;
    return item;
  }

  /** The slot after i, wrapping (a compare rather than %, which is a division). */
  private next(i: number): number {
    return i + 1 === this.capacity ? 0 : i + 1;
  }

  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
  }
}
