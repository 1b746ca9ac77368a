/**
 * Data-flow tracking: each message remembers when its root operator emitted it and the path it took.
 * When a leaf operator (one whose outputs go nowhere) consumes it, the end-to-end latency is recorded
 * under the path, e.g. `tx -> mid -> rx`.
 */
export interface Trace {
  readonly t0: number;
  readonly path: string;
}

export interface PathStats {
  path: string;
  count: number;
  minMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Keeps at most this many samples per path (a reservoir beyond it), so a long run doesn't grow. */
const MAX_SAMPLES = 100_000;

class Samples {
  values = new Float64Array(1024);
  n = 0;
  seen = 0;
  add(v: number): void {
    this.seen++;
    if (this.n < MAX_SAMPLES) {
      if (this.n === this.values.length) {
        const grown = new Float64Array(Math.min(MAX_SAMPLES, this.values.length * 2));
        grown.set(this.values);
        this.values = grown;
      }
      this.values[this.n++] = v;
    } else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < MAX_SAMPLES) this.values[j] = v;
    }
  }
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx];
}

export class DataFlowTracker {
  private readonly paths = new Map<string, Samples>();

  record(path: string, latencyMs: number): void {
    let s = this.paths.get(path);
    if (!s) this.paths.set(path, (s = new Samples()));
    s.add(latencyMs);
  }

  results(): PathStats[] {
    return [...this.paths.entries()].map(([path, s]) => {
      const sorted = s.values.slice(0, s.n).sort();
      return {
        path,
        count: s.seen,
        minMs: sorted[0],
        p50Ms: quantile(sorted, 0.5),
        p95Ms: quantile(sorted, 0.95),
        p99Ms: quantile(sorted, 0.99),
        maxMs: sorted[sorted.length - 1],
      };
    });
  }

  /** A plain-text table for the terminal. */
  format(): string {
    const rows = this.results();
    if (rows.length === 0) return 'data-flow tracking: no message reached a leaf operator';
    const f = (v: number) => (v < 1 ? v.toFixed(4) : v.toFixed(2));
    const head = ['path', 'messages', 'min ms', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
    const body = rows.map((r) => [r.path, String(r.count), f(r.minMs), f(r.p50Ms), f(r.p95Ms), f(r.p99Ms), f(r.maxMs)]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    return ['data-flow tracking (root emit to leaf compute):', line(head), ...body.map(line)].join('\n');
  }
}
