import { z } from 'zod';

/**
 * A named message type: the contract of a port. Two ports connect when their types have the same
 * name, or when either side is `Any`. The zod schema is used by `--validate-messages` and by docs.
 */
export interface MessageType<T> {
  readonly name: string;
  readonly schema: z.ZodType<T>;
  readonly description?: string;
}

export function defineMessage<T>(name: string, schema: z.ZodType<T>, description?: string): MessageType<T> {
  return Object.freeze({ name, schema, description });
}

/** Accepts and is accepted by every port type. */
export const Any: MessageType<unknown> = defineMessage('Any', z.unknown(), 'any value');

export const NumberMessage: MessageType<number> = defineMessage('number', z.number(), 'a number');

export function typesCompatible(from: MessageType<unknown>, to: MessageType<unknown>): boolean {
  return from === Any || to === Any || from.name === 'Any' || to.name === 'Any' || from.name === to.name;
}
