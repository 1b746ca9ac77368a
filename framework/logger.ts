import { stderrTerminal } from './terminal.ts';

/** The log levels, most severe first: the CLI's choices, the YAML schema's enum and the logger's order. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const ORDER = Object.fromEntries(LOG_LEVELS.map((l, i) => [l, i])) as Record<LogLevel, number>;

export interface Logger {
  error(msg: string, ...rest: unknown[]): void;
  warn(msg: string, ...rest: unknown[]): void;
  info(msg: string, ...rest: unknown[]): void;
  debug(msg: string, ...rest: unknown[]): void;
  trace(msg: string, ...rest: unknown[]): void;
  child(scope: string): Logger;
  readonly level: LogLevel;
}

/** A small leveled logger on stderr, so stdout stays free for data (mermaid, JSON, status lines). */
export function createLogger(level: LogLevel = 'info', scope = 'holots', sink: (line: string) => void = (l) => stderrTerminal.line(l)): Logger {
  const limit = ORDER[level];
  const at = (lvl: LogLevel) => (msg: string, ...rest: unknown[]) => {
    if (ORDER[lvl] > limit) return;
    const extra = rest.length ? ' ' + rest.map((r) => (r instanceof Error ? r.stack ?? r.message : typeof r === 'string' ? r : JSON.stringify(r))).join(' ') : '';
    sink(`[${lvl}] ${scope}: ${msg}${extra}`);
  };
  return {
    level,
    error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace'),
    child: (s: string) => createLogger(level, `${scope}.${s}`, sink),
  };
}

export function isLogLevel(v: string): v is LogLevel {
  return v in ORDER;
}
