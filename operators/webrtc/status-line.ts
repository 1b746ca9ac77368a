import { stderrTerminal, type Terminal } from '../../framework/index.ts';
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
 * Writes the status line every `intervalMs` through a terminal shared with the logs (stderr by default).
 * On a TTY it is the live line, redrawn in place below the log lines; otherwise (a file, a pipe) a plain
 * line when the number of sessions changes and every fifth tick.
 */
export function startStatusLine(read: () => SessionStats[], intervalMs: number, terminal: Terminal = stderrTerminal): () => void {
  let tick = 0;
  let lastCount = -1;
  const timer = setInterval(() => {
    const stats = read();
    const changed = stats.length !== lastCount;
    lastCount = stats.length;
    if (terminal.isTTY || changed || tick % 5 === 0) terminal.live(formatStatus(stats));
    tick++;
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    terminal.endLive();
  };
}
