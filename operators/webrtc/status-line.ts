import type { SessionStats } from '../messages/index.ts';

/**
 * A one-line summary of the sessions for a terminal: a user running headless sees the video arrive.
 *   status: sessions 1 · 29.9 fps 640x480 VP8 (decoded 1790, dropped 0)
 */
export function formatStatus(stats: SessionStats[]): string {
  if (stats.length === 0) return 'status: sessions 0 · waiting for a browser (open the page and press Start)';
  const parts = stats.map((s) =>
    `${s.fps.toFixed(1)} fps ${s.width}x${s.height} ${s.codec ?? '?'} (decoded ${s.framesDecoded}, dropped ${s.framesDropped}${s.state !== 'connected' ? `, ${s.state}` : ''})`);
  return `status: sessions ${stats.length} · ${parts.join(' · ')}`;
}

/**
 * Writes the status line every `intervalMs`. On a terminal it rewrites one line in place; in a log
 * (not a TTY) it writes a line when the number of sessions changes and otherwise every fifth tick.
 */
export function startStatusLine(read: () => SessionStats[], intervalMs: number, out: NodeJS.WriteStream = process.stderr): () => void {
  const tty = out.isTTY === true;
  let tick = 0;
  let lastCount = -1;
  const timer = setInterval(() => {
    const stats = read();
    const changed = stats.length !== lastCount;
    lastCount = stats.length;
    if (tty) out.write(`\r\x1b[K${formatStatus(stats)}`);
    else if (changed || tick % 5 === 0) out.write(`${formatStatus(stats)}\n`);
    tick++;
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (tty) out.write('\n');
  };
}
