import type { LogLevel } from '../logger.ts';
import type { Metadata } from '../metadata.ts';
import type { Crossing } from './crossing.ts';

/** Where a worker thread finds an operator's definition: a module URL and, when known, the export. */
export interface ModuleRef {
  readonly url: string;
  /** The export holding the definition; absent: the export whose definition has the operator's type name. */
  readonly exportName?: string;
}

/** What the main thread asks of one worker thread; every request is answered by a `reply` with its id. */
export type ToThread =
  | { t: 'init'; id: number; op: string; type: string; module: ModuleRef; params: unknown; logLevel: LogLevel; logScope: string; stopTimeoutMs: number; connected: string[] }
  | { t: 'start'; id: number; op: string }
  | { t: 'compute'; id: number; op: string; inputs: Record<string, Crossing>; meta: Metadata }
  | { t: 'stop'; id: number; op: string };

/** One emit made on a worker, carried back with the compute (or start) that made it. */
export interface Emitted {
  readonly port: string;
  readonly value: Crossing;
  readonly meta?: Metadata;
}

export interface ThreadFailure {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export type FromThread =
  | { t: 'reply'; id: number; emits?: Emitted[]; error?: ThreadFailure }
  /** The operator's context calls that the main-thread node carries out (conditions live there). */
  | { t: 'event'; op: string; kind: 'notify' | 'disable' | 'stopApp' | 'fail'; reason?: string; error?: ThreadFailure }
  /** An emit made outside start/compute (a timer, a socket): delivered at once, as on the main thread. */
  | { t: 'event'; op: string; kind: 'emit'; emits: Emitted[] };

/** The fixed data every worker thread starts with. */
export interface ThreadData {
  readonly pool: string;
  readonly index: number;
}

export function toFailure(e: unknown): ThreadFailure {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: 'Error', message: String(e) };
}

/** Rebuilds a worker's error on the main thread, keeping its stack (the OperatorError wraps it). */
export function fromFailure(f: ThreadFailure): Error {
  const e = new Error(f.message);
  e.name = f.name;
  if (f.stack) e.stack = f.stack;
  return e;
}
