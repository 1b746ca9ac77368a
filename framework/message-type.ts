import { z } from 'zod';

/**
 * How a message crosses a thread or process boundary: a small JSON-able header plus binary parts, so
 * pixels never pass through JSON. Worker threads transfer (or copy) the parts' buffers; NATS writes the
 * parts after the header. A type without a codec crosses as plain data (structured clone for threads,
 * JSON for processes) and is validated by its schema on arrival.
 */
export interface WireCodec<T> {
  encode(value: T): WireMessage;
  decode(message: WireMessage): T;
}

export interface WireMessage {
  readonly header: unknown;
  readonly parts: readonly Uint8Array<ArrayBuffer>[];
}

/**
 * A named message type: the contract of a port. Two ports connect when their types have the same
 * name, or when either side is `Any`. The zod schema is used by `--validate-messages` and by docs.
 */
export interface MessageType<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  readonly description?: string;
  /** How values cross threads and processes; absent: as plain data, checked by `schema` on arrival. */
  readonly wire?: WireCodec<T>;
}

export interface MessageOptions<T> {
  wire?: WireCodec<T>;
}

export function defineMessage<T>(name: string, schema: z.ZodType<T>, description?: string, options: MessageOptions<T> = {}): MessageType<T> {
  return Object.freeze({ name, schema, description, ...(options.wire ? { wire: options.wire } : {}) });
}

/** Accepts and is accepted by every port type. */
export const Any: MessageType<unknown> = defineMessage('Any', z.unknown(), 'any value');

export const NumberMessage: MessageType<number> = defineMessage('number', z.number(), 'a number');

export function typesCompatible(from: MessageType<unknown>, to: MessageType<unknown>): boolean {
  return from === Any || to === Any || from.name === 'Any' || to.name === 'Any' || from.name === to.name;
}
