import { z } from 'zod';
import { defineOperator, NumberMessage, port } from '../../framework/index.ts';

/** Logs and counts what it receives; `received` holds the values for tests and examples. */
export const PingRxOp = defineOperator({
  name: 'PingRxOp',
  description: 'logs and counts the numbers it receives',
  module: import.meta.url, // lets a worker pool load it
  params: z.object({
    quiet: z.boolean().default(false).describe('do not log each value'),
  }).strict(),
  inputs: { in: port(NumberMessage) },
  initialize: () => ({ count: 0, received: [] as number[] }),
  compute({ in: value }, _emit, ctx) {
    ctx.state.count++;
    ctx.state.received.push(value);
    if (!ctx.params.quiet) ctx.log.info(`received ${value} (${ctx.state.count} so far)`);
  },
  stop(ctx) {
    ctx.log.info(`received ${ctx.state.count} messages`);
  },
});
