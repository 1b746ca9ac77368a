/** A failure inside an operator's lifecycle; names the operator and keeps the cause. */
export class OperatorError extends Error {
  constructor(
    readonly operator: string,
    readonly operatorType: string,
    /** `stream`: outside compute, from a callback or an Observable (ctx.fail, a pipe, an input feed). */
    readonly phase: 'initialize' | 'start' | 'compute' | 'stop' | 'emit' | 'stream',
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`operator '${operator}' (${operatorType}) failed in ${phase}: ${why}`, { cause });
    this.name = 'OperatorError';
  }
}

/** The graph or its parameters are wrong; nothing has started. `path` locates the field. */
export class GraphError extends Error {
  constructor(message: string, readonly path: (string | number)[] = []) {
    super(message);
    this.name = 'GraphError';
  }
}

/**
 * A failure whose message already says what happened and what to do (a port in use, a file that cannot
 * be read): the CLI prints that one line, without a stack trace.
 */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
  }
}
