import { RECEIVE_TUNING } from './tuning.ts';

export interface KeyframeRequesterTiming {
  minIntervalMs: number;
  retryMs: number;
  maxIntervalMs: number;
  backoffMemoryMs: number;
}

/**
 * Asks the sender for a keyframe (RTCP PLI) without flooding it. A request waits at least
 * `minIntervalMs` after the last one, and twice as long for each request in the last `backoffMemoryMs`,
 * up to `maxIntervalMs`; while the receiver still waits it is repeated on the same schedule (a PLI or the
 * keyframe itself can be lost). So a healthy stream that loses a packet gets its keyframe at once, and a
 * stream that keeps falling behind under overload asks less and less often (bounded, never a storm).
 */
export class KeyframeRequester {
  sent = 0;
  private readonly fired: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Infinity;
  private closed = false;

  constructor(
    private readonly send: () => void,
    private readonly stillWaiting: () => boolean,
    private readonly timing: KeyframeRequesterTiming = {
      minIntervalMs: RECEIVE_TUNING.keyframeMinIntervalMs,
      retryMs: RECEIVE_TUNING.keyframeRetryMs,
      maxIntervalMs: RECEIVE_TUNING.keyframeMaxIntervalMs,
      backoffMemoryMs: RECEIVE_TUNING.keyframeBackoffMemoryMs,
    },
    private readonly now: () => number = () => performance.timeOrigin + performance.now(),
  ) {}

  /** How long after the last request the next one may go. */
  currentIntervalMs(): number {
    const now = this.now();
    while (this.fired.length > 0 && now - this.fired[0] > this.timing.backoffMemoryMs) this.fired.shift();
    if (this.fired.length === 0) return 0;
    return Math.min(this.timing.maxIntervalMs, this.timing.minIntervalMs * 2 ** (this.fired.length - 1));
  }

  request(): void {
    if (this.closed) return;
    const last = this.fired.at(-1) ?? -Infinity;
    const wait = last + this.currentIntervalMs() - this.now();
    if (wait <= 0) this.fire();
    else if (this.now() + wait < this.timerDue) this.arm(wait); // else the one scheduled covers it
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Infinity;
  }

  private fire(): void {
    this.fired.push(this.now());
    this.sent++;
    this.send();
    this.arm(Math.max(this.timing.retryMs, this.currentIntervalMs()));
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = this.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerDue = Infinity;
      if (!this.closed && this.stillWaiting()) this.fire();
    }, ms);
    this.timer.unref?.();
  }
}
