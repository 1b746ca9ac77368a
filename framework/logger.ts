export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

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
export function createLogger(level: LogLevel = 'info', scope = 'holots', sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
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
