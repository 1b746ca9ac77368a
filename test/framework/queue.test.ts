import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedQueue, QueueFaultError, parsePeriod } from '../../framework/index.ts';

test('pop drops the oldest when full', () => {
  const q = new BoundedQueue<number>(2, 'pop');
  for (const v of [1, 2, 3]) q.push(v);
  assert.deepEqual([q.shift(), q.shift(), q.shift()], [2, 3, undefined]);
  assert.equal(q.dropped, 1);
});

test('reject drops the newest when full', () => {
  const q = new BoundedQueue<number>(2, 'reject');
  assert.equal(q.push(1), true);
  assert.equal(q.push(2), true);
  assert.equal(q.push(3), false);
  assert.deepEqual([q.shift(), q.shift()], [1, 2]);
  assert.equal(q.dropped, 1);
});

test('fault throws a QueueFaultError naming the queue', () => {
  const q = new BoundedQueue<number>(1, 'fault', 'a.out -> b.in');
  q.push(1);
  assert.throws(() => q.push(2), (e: unknown) => e instanceof QueueFaultError && /a\.out -> b\.in/.test(e.message));
});

test('the ring buffer wraps around and keeps FIFO order', () => {
  const q = new BoundedQueue<number>(3, 'pop');
  const out: number[] = [];
  for (let i = 0; i < 10; i++) { q.push(i); if (i % 2) out.push(q.shift()!); }
  while (!q.empty) out.push(q.shift()!);
  // Worked by hand: 2, 4 and 6 are the oldest when pushes meet a full queue.
  assert.deepEqual(out, [0, 1, 3, 5, 7, 8, 9]);
  assert.equal(q.dropped, 3);
});

test('capacity must be a positive integer', () => {
  assert.throws(() => new BoundedQueue(0, 'pop'), /capacity/);
});

test('periods parse as durations and rates', () => {
  assert.equal(parsePeriod('10ms'), 10);
  assert.equal(parsePeriod('1s'), 1000);
  assert.equal(parsePeriod('250us'), 0.25);
  assert.equal(parsePeriod('30Hz'), 1000 / 30);
  assert.equal(parsePeriod(5), 5);
  assert.throws(() => parsePeriod('fast'), /duration/);
  assert.throws(() => parsePeriod('0ms'), /greater than zero/);
});
