/**
 * Asks the sender for a keyframe (RTCP PLI) without flooding it: at most one request per `minIntervalMs`,
 * and repeated every `retryMs` while the receiver still waits (a PLI or the keyframe itself can be lost).
 */
export class KeyframeRequester {
  sent = 0;
  private last = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly send: () => void,
    private readonly stillWaiting: () => boolean,
    private readonly minIntervalMs = 300,
    private readonly retryMs = 1000,
  ) {}

  request(): void {
    if (this.closed) return;
    const now = performance.now();
    const wait = this.last + this.minIntervalMs - now;
    if (wait <= 0) this.fire();
    else this.arm(wait);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private fire(): void {
    this.last = performance.now();
    this.sent++;
    this.send();
    this.arm(this.retryMs);
  }

  private arm(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed && this.stillWaiting()) this.fire();
    }, ms);
  }
}
