import { z } from 'zod';
import { defineOperator, NumberMessage, port } from '../../framework/index.ts';

/** Emits 1, 2, 3, ... one number per compute. Bound it with a count or periodic condition. */
export const PingTxOp = defineOperator({
  name: 'PingTxOp',
  description: 'emits 1, 2, 3, ... (one number per compute)',
  module: import.meta.url, // lets a worker pool load it
  params: z.object({
    start: z.number().int().default(1).describe('first value emitted'),
    step: z.number().int().default(1).describe('added to the value after each emit'),
  }).strict(),
  outputs: { out: port(NumberMessage) },
  initialize: ({ params }) => ({ next: params.start }),
  compute(_inputs, emit, ctx) {
    emit.out(ctx.state.next);
    ctx.state.next += ctx.params.step;
  },
});
