/**
 * Log lines and one live line (a status that rewrites itself) sharing a stream. On a terminal the live
 * line stays at the bottom: a log line clears it, prints, and redraws it, so the two never run into each
 * other. Elsewhere (a file, a pipe) there is no cursor to move: the live line is printed as plain lines.
 */
export interface Terminal {
  /** One finished line (a log line). */
  line(text: string): void;
  /** Sets the live line; on a terminal it replaces the previous one in place. */
  live(text: string): void;
  /** Ends the live line (on a terminal the cursor moves below it). */
  endLive(): void;
  readonly isTTY: boolean;
}

const CLEAR_LINE = '\r\x1b[K';

export function createTerminal(out: NodeJS.WritableStream & { isTTY?: boolean }): Terminal {
  const isTTY = out.isTTY === true;
  let current: string | null = null;
  return {
    isTTY,
    line(text) {
      if (isTTY && current !== null) out.write(`${CLEAR_LINE}${text}\n${current}`);
      else out.write(`${text}\n`);
    },
    live(text) {
      if (isTTY) {
        current = text;
        out.write(`${CLEAR_LINE}${text}`);
      } else {
        out.write(`${text}\n`);
      }
    },
    endLive() {
      if (isTTY && current !== null) out.write('\n');
      current = null;
    },
  };
}

/** The process's stderr, shared by the default logger and status lines. */
export const stderrTerminal: Terminal = createTerminal(process.stderr);
