/** Parses "10ms", "1.5s", "250us", "30Hz" or a plain number of milliseconds into milliseconds. */
export function parsePeriod(v: string | number): number {
  if (typeof v === 'number') {
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`period must be a positive number of milliseconds, got ${v}`);
    return v;
  }
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ns|us|µs|ms|s|hz|Hz|HZ)?\s*$/.exec(v);
  if (!m) throw new Error(`period '${v}' is not a duration like "10ms", "1s" or a rate like "30Hz"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  if (!(n > 0)) throw new Error(`period '${v}' must be greater than zero`);
  switch (unit) {
    case 'ns': return n / 1e6;
    case 'us': case 'µs': return n / 1e3;
    case 'ms': return n;
    case 's': return n * 1e3;
    default: return 1000 / n; // hz
  }
}
