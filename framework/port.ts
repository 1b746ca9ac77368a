import type { MessageType } from './message-type.ts';
import type { QueuePolicy } from './queue.ts';

/** How an input gates its operator: `message-available` (default) waits for a message, `none` never waits. */
export type InputCondition = 'message-available' | 'none';
/** How an output gates its operator: `downstream-affordable` (default) waits for room downstream. */
export type OutputCondition = 'downstream-affordable' | 'none';

export interface InputPortOptions {
  /** Accept any number of upstream connections; compute receives every queued message as an array. */
  multi?: boolean;
  condition?: InputCondition;
  /** Default queue capacity of connections into this port (a flow may override it). */
  capacity?: number;
  /** Default queue policy of connections into this port (a flow may override it). */
  policy?: QueuePolicy;
  description?: string;
}

export interface OutputPortOptions {
  condition?: OutputCondition;
  description?: string;
}

/** Options of either direction; `port()` does not know yet whether it declares an input or an output. */
export type PortOptions = Omit<InputPortOptions, 'condition'> & Omit<OutputPortOptions, 'condition'> & { condition?: InputCondition | OutputCondition };

/** A port declaration. The phantom fields carry the message type and shape into compute's signature. */
export interface PortSpec<T, Multi extends boolean = boolean, Optional extends boolean = boolean> {
  readonly type: MessageType<T>;
  readonly multi: Multi;
  readonly optional: Optional;
  readonly options: PortOptions;
}

type IsMulti<O> = O extends { multi: true } ? true : false;
type IsOptional<O> = O extends { condition: 'none' } ? true : false;

export function port<T>(type: MessageType<T>): PortSpec<T, false, false>;
export function port<T, const O extends PortOptions>(
  type: MessageType<T>,
  options: O,
): PortSpec<T, IsMulti<O>, IsOptional<O>>;
export function port<T>(type: MessageType<T>, options: PortOptions = {}): PortSpec<T> {
  return Object.freeze({
    type,
    multi: options.multi === true,
    optional: options.condition === 'none',
    options: Object.freeze({ ...options }),
  });
}

export type PortMap = Record<string, PortSpec<any, boolean, boolean>>;

/** The value compute sees for an input port: an array for multi-receivers, possibly undefined when ungated. */
export type InputValue<P> =
  P extends PortSpec<infer T, infer M, infer O> ? (M extends true ? T[] : O extends true ? T | undefined : T) : never;

export type InputValues<I extends PortMap> = { [K in keyof I]: InputValue<I[K]> };

export type MessageOf<P> = P extends PortSpec<infer T, boolean, boolean> ? T : never;
