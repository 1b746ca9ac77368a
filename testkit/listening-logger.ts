import { createLogger, type Logger } from '../framework/index.ts';

/**
 * A logger that keeps every line and resolves `port` when WebServerOp says where it listens: with
 * `port: 0` the log line is how a test learns the port the server picked.
 */
export function listeningLogger(scope: string): { logger: Logger; logs: string[]; port: Promise<number> } {
  const logs: string[] = [];
  let announce!: (port: number) => void;
  const port = new Promise<number>((r) => { announce = r; });
  const logger = createLogger('info', scope, (line) => {
    logs.push(line);
    const m = /holots: open https?:\/\/[^\s/]+:(\d+)\//.exec(line);
    if (m) announce(Number(m[1]));
  });
  return { logger, logs, port };
}
