import { z } from 'zod';
import type { ConditionSpec } from './conditions.ts';
import type { Logger } from './logger.ts';
import type { Metadata } from './metadata.ts';
import type { InputValues, MessageOf, PortMap } from './port.ts';
import { pipeHooks, type PipeDefinitionInput, type PipeState } from './pipe-operator.ts';
import { isIdentifier } from './identifier.ts';

/** Typed emitters, one per output port. `meta` adds metadata entries to what the inputs carried. */
export type Emitters<O extends PortMap> = { [K in keyof O]: (value: MessageOf<O[K]>, meta?: Metadata) => void };

/** What every lifecycle hook receives. */
export interface OperatorContext<P> {
  /** The instance name in the graph (e.g. `web_server`). */
  readonly name: string;
  readonly params: P;
  readonly log: Logger;
  /** Metadata merged from the messages consumed by the current compute; empty between computes. */
  readonly metadata: Metadata;
  /** Asynchronous condition: an external event makes this operator ready to compute once. */
  notify(): void;
  /** Boolean condition: this operator never computes again (a source that ran dry). */
  disable(): void;
  /** Ask the application to stop gracefully (e.g. the window was closed). */
  stopApp(reason?: string): void;
  /** Aborted when the application stops; pass it to long-running work. */
  readonly signal: AbortSignal;
  /**
   * A failure outside compute (a callback, a stream): the app stops with an OperatorError naming this
   * operator (phase `stream`), as if compute had thrown.
   */
  fail(error: unknown): void;
  /** How long shutdown gives computes in flight and flushes at stop (the run's `stopTimeoutMs`). */
  readonly stopTimeoutMs: number;
  /**
   * Whether anything takes this output port's messages: a connection (to an operator, a thread or another
   * fragment) or an observer (`app.output`). Lets an operator skip work for an output nobody reads. An
   * operator on a worker thread sees the ports as they were when the run started.
   */
  isConnected(port: string): boolean;
}

export interface OperatorHooks<P, I extends PortMap, O extends PortMap, S> {
  /** Called once before anything starts; return the per-instance state compute will see as `ctx.state`. */
  initialize?(ctx: OperatorContext<P>): S | Promise<S>;
  /**
   * Called once before scheduling begins. `emit` may be kept and called from events between computes
   * (a window's key, a socket's message) until `stop`: such an emit is not tied to any input, so it
   * carries only the metadata passed to it.
   */
  start?(ctx: OperatorContext<P> & { state: S }, emit: Emitters<O>): void | Promise<void>;
  /**
   * Called once every operator has started and scheduling has begun, outside any compute, in
   * topological order: where a source subscribes to something that pushes at once (an Observable), so
   * its first messages meet running consumers instead of piling up in a queue.
   */
  afterStart?(ctx: OperatorContext<P> & { state: S }, emit: Emitters<O>): void | Promise<void>;
  compute(inputs: InputValues<I>, emit: Emitters<O>, ctx: OperatorContext<P> & { state: S }): void | Promise<void>;
  stop?(ctx: OperatorContext<P> & { state: S }): void | Promise<void>;
  /**
   * Called once, while the graph still runs, when this operator can never compute again (its inputs
   * ended, its count ran out, it was disabled). What it emits here flows downstream as usual, and the
   * operator's end of stream (and so its downstream's) waits until the returned promise settles: the
   * place to flush what an operator holds (a pipe's `bufferCount`).
   */
  endOfStream?(ctx: OperatorContext<P> & { state: S }, emit: Emitters<O>): void | Promise<void>;
}

export interface OperatorDefinition<
  Params extends z.ZodType = z.ZodType,
  I extends PortMap = PortMap,
  O extends PortMap = PortMap,
  S = unknown,
> extends OperatorHooks<z.output<Params>, I, O, S> {
  readonly kind: 'holots.operator';
  readonly name: string;
  readonly description?: string;
  readonly params: Params;
  readonly inputs: I;
  readonly outputs: O;
  /** Conditions every instance gets unless the graph lists its own of the same type. */
  readonly conditions?: readonly ConditionSpec[];
  /**
   * The URL of the module that exports this definition (`module: import.meta.url`), so a worker thread
   * can load it when the operator is put on a pool. YAML's `./file.ts#Export` types don't need it.
   */
  readonly module?: string;
  /**
   * Why this operator must run on the main thread (it holds a GL context, a listening socket, ...).
   * Set, the operator refuses a pool with this reason.
   */
  readonly mainThreadOnly?: string;
  /**
   * Framework-internal: a stand-in for the far end of a flow that continues in another process. It is
   * invisible to data-flow tracking (paths and latencies run through it to the real operators).
   */
  readonly relay?: boolean;
  /**
   * Compute when any gating input holds a message (Holoscan's MultiMessageAvailableCondition, sum of
   * all >= 1) rather than when every one does; empty inputs read `undefined`. It ends when all inputs
   * have ended. Pipe operators use it, so `merge` or `combineLatest` see each input as it comes.
   */
  readonly anyInput?: boolean;
}

export type AnyOperatorDefinition = OperatorDefinition<z.ZodType, PortMap, PortMap, any>;

type DefinitionInput<Params extends z.ZodType, I extends PortMap, O extends PortMap, S> = Omit<
  OperatorDefinition<Params, I, O, S>,
  'kind' | 'inputs' | 'outputs'
> & { inputs?: I; outputs?: O };

/** Params of an operator that declares none. */
export const NoParams = z.object({}).strict();
export type NoParams = typeof NoParams;

/**
 * Declares an operator. Everything a user touches is typed from this one object: compute's inputs
 * and emitters from the port types, params from the zod schema (which also feeds YAML validation and
 * the JSON Schema), and `ctx.state` from what `initialize` returns. With `pipe` instead of `compute`
 * the operator is an RxJS pipeline over its input streams (see pipe-operator.ts).
 */
export function defineOperator<Params extends z.ZodType = NoParams, I extends PortMap = {}, O extends PortMap = {}>(
  def: PipeDefinitionInput<Params, I, O>,
): OperatorDefinition<Params, I, O, PipeState>;
export function defineOperator<
  Params extends z.ZodType,
  I extends PortMap = {},
  O extends PortMap = {},
  S = undefined,
>(def: DefinitionInput<Params, I, O, S>): OperatorDefinition<Params, I, O, S>;
export function defineOperator(def: DefinitionInput<z.ZodType, PortMap, PortMap, unknown> | PipeDefinitionInput<z.ZodType, PortMap, PortMap>): AnyOperatorDefinition {
  if (!isIdentifier(def.name)) throw new Error(`operator name '${def.name}' must be an identifier`);
  const inputs = def.inputs ?? {};
  const outputs = def.outputs ?? {};
  for (const k of Object.keys(inputs)) if (k in outputs) throw new Error(`operator ${def.name}: port '${k}' is both an input and an output`);
  if ('pipe' in def && typeof def.pipe === 'function') {
    if ('compute' in def) throw new Error(`operator ${def.name}: give either pipe or compute, not both`);
    const { pipe, ...rest } = def;
    return Object.freeze({ ...rest, params: def.params ?? NoParams, ...pipeHooks(def.name, inputs, outputs, pipe), anyInput: true, kind: 'holots.operator', inputs, outputs });
  }
  return Object.freeze({ ...def, kind: 'holots.operator', inputs, outputs }) as AnyOperatorDefinition;
}

export function isOperatorDefinition(v: unknown): v is AnyOperatorDefinition {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'holots.operator';
}
