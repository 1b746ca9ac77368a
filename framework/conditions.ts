import { z } from 'zod';

/**
 * Conditions decide when an operator may compute; all of an operator's conditions must hold (AND).
 * Message-available (inputs) and downstream-affordable (outputs) are set per port; these are the rest.
 */
export const ConditionSpec = z.discriminatedUnion('type', [
  z.object({ type: z.literal('count'), count: z.number().int().nonnegative().describe('compute at most this many times') }).strict(),
  z.object({
    type: z.literal('periodic'),
    period: z.union([z.string(), z.number().positive()]).describe('"10ms", "1s", "30Hz" or milliseconds'),
  }).strict(),
  z.object({ type: z.literal('boolean'), enable_tick: z.boolean().default(true).describe('false: the operator never computes') }).strict(),
  z.object({ type: z.literal('asynchronous') }).strict().describe('external events (ctx.notify) make the operator ready'),
]);
export type ConditionSpec = z.input<typeof ConditionSpec>;
