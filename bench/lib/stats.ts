/** Summary statistics for benchmark samples. Quantiles use the nearest-rank method (no interpolation). */
import { quantile } from '../../framework/index.ts';

export interface Summary {
  count: number;
  min: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Sorts a copy, so callers keep their samples in recording order. */
export function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Nearest-rank quantile of already sorted values; q in [0, 1]: the same as data-flow tracking's. */
export const quantileOfSorted = quantile;

export function median(values: ArrayLike<number>): number {
  return quantileOfSorted(sorted(values), 0.5);
}

export function summarize(values: ArrayLike<number>): Summary {
  const s = sorted(values);
  let sum = 0;
  for (let i = 0; i < s.length; i++) sum += s[i];
  return {
    count: s.length,
    min: s.length ? s[0] : NaN,
    median: quantileOfSorted(s, 0.5),
    p90: quantileOfSorted(s, 0.9),
    p99: quantileOfSorted(s, 0.99),
    max: s.length ? s[s.length - 1] : NaN,
    mean: s.length ? sum / s.length : NaN,
  };
}

/** Maps every field of a summary (e.g. ms to ns), keeping the count. */
export function scaleSummary(s: Summary, factor: number): Summary {
  return {
    count: s.count,
    min: s.min * factor,
    median: s.median * factor,
    p90: s.p90 * factor,
    p99: s.p99 * factor,
    max: s.max * factor,
    mean: s.mean * factor,
  };
}
