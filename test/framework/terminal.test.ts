import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger, createTerminal } from '../../framework/index.ts';

/** A stream that keeps what is written; `isTTY` as a terminal or a pipe would report it. */
function capture(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({ write(c, _e, done) { chunks.push(String(c)); done(); } }) as Writable & { isTTY: boolean; text: () => string };
  w.isTTY = isTTY;
  w.text = () => chunks.join('');
  return w;
}

/** What a terminal shows for these bytes: \r returns to the line start, ESC[K clears to its end, \n moves down. */
function screen(bytes: string): string[] {
  const rows = [''];
  let col = 0;
  for (let i = 0; i < bytes.length; i++) {
    const row = rows.length - 1;
    if (bytes.startsWith('\x1b[K', i)) { rows[row] = rows[row].slice(0, col); i += 2; }
    else if (bytes[i] === '\r') col = 0;
    else if (bytes[i] === '\n') { rows.push(''); col = 0; }
    else { rows[row] = rows[row].slice(0, col) + bytes[i] + rows[row].slice(col + 1); col++; }
  }
  return rows;
}

test('on a TTY log lines print above the live status line, which is redrawn below them', () => {
  const out = capture(true);
  const term = createTerminal(out);
  const log = createLogger('info', 'app', (l) => term.line(l));
  term.live('status: sessions 0 · waiting for a browser');
  log.info('open http://localhost:8080/');
  term.live('status: sessions 1 · 29.9 fps 640x480 VP8');
  log.warn('a session ended');
  term.live('status: sessions 0');
  term.endLive();
  assert.deepEqual(screen(out.text()), ['[info] app: open http://localhost:8080/', '[warn] app: a session ended', 'status: sessions 0', '']);
});

test('into a file or pipe the status line is a plain line among the logs, with no cursor codes', () => {
  const out = capture(false);
  const term = createTerminal(out);
  term.live('status: sessions 0');
  term.line('[info] app: hello');
  term.live('status: sessions 1');
  term.endLive();
  assert.equal(out.text(), 'status: sessions 0\n[info] app: hello\nstatus: sessions 1\n');
});
