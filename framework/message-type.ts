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
  /** Set for requests that carry their own reply callback: across processes they cross as request/reply. */
  readonly reply?: ReplyChannel<T, any>;
}

/** Why a request that crossed to another process got no reply from it. */
export interface ReplyFailure {
  /** `gone`: the instance that held the request's key left; `unavailable`: nobody answers; `timeout`: no answer in time. */
  readonly kind: 'gone' | 'unavailable' | 'timeout';
  readonly message: string;
}

/**
 * A message type whose values carry a callback the receiver calls exactly once (e.g. signaling that an
 * HTTP handler awaits). Within a process it is just a field; across processes the value crosses as a
 * request (the field stripped) and the reply as its response, checked by `schema`. Several copies of the
 * receiving fragment share requests (a queue group); `key`/`claims` keep follow-ups with the copy that
 * answered the first, and `gather`/`merge` ask every copy and combine what they say.
 */
export interface ReplyChannel<T, R> {
  /** The field of a value that holds the `(reply: R) => void` callback. */
  readonly field: string & keyof T;
  readonly schema: z.ZodType<R>;
  /** The reply to give the caller when the request could not be answered across processes. */
  failed(failure: ReplyFailure): R;
  /** The key of what a request belongs to (e.g. a session id): it goes to the copy that claimed the key. */
  key?(value: T): string | undefined;
  /** The key a reply claims for the copy that gave it (e.g. the session an offer opened). */
  claims?(reply: R): string | undefined;
  /** True for a request that ends its key once answered (e.g. closing a session). */
  releases?(value: T): boolean;
  /** True for a request every copy should answer (e.g. stats). */
  gather?(value: T): boolean;
  /** Combines the replies of every copy, each with the instance id of the copy that gave it. */
  merge?(replies: { instance: string; reply: R }[]): R;
}

export interface MessageOptions<T> {
  wire?: WireCodec<T>;
  reply?: ReplyChannel<T, any>;
}

export function defineMessage<T>(name: string, schema: z.ZodType<T>, description?: string, options: MessageOptions<T> = {}): MessageType<T> {
  return Object.freeze({ name, schema, description, ...(options.wire ? { wire: options.wire } : {}), ...(options.reply ? { reply: options.reply } : {}) });
}

/** Accepts and is accepted by every port type. */
export const Any: MessageType<unknown> = defineMessage('Any', z.unknown(), 'any value');

export const NumberMessage: MessageType<number> = defineMessage('number', z.number(), 'a number');

export function typesCompatible(from: MessageType<unknown>, to: MessageType<unknown>): boolean {
  return from === Any || to === Any || from.name === 'Any' || to.name === 'Any' || from.name === to.name;
}
