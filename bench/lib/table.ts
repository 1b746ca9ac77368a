/** A plain-text table for the terminal: first column left-aligned, the rest right-aligned (numbers). */
export function formatTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(head), rule, ...rows.map(line)].join('\n');
}

/** The same table as GitHub markdown, for pasting into docs/benchmarks.md. */
export function formatMarkdownTable(head: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const align = head.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [head, align, ...rows].map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n');
}

/** A number with 3 significant digits and an SI suffix: 1234567 -> "1.23 M". */
export function si(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return String(value);
  const prefixes: [number, string][] = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [f, p] of prefixes) if (Math.abs(value) >= f) return `${(value / f).toPrecision(3)} ${p}${unit}`;
  return `${value.toPrecision(3)} ${unit}`.trimEnd();
}

/** A duration given in nanoseconds, printed in ns or µs. */
export function ns(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return value >= 1000 ? `${(value / 1000).toPrecision(3)} µs` : `${value.toPrecision(3)} ns`;
}
