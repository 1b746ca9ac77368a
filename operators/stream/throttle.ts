import { throttleTime } from 'rxjs';
import { z } from 'zod';
import { Any, defineOperator, port } from '../../framework/index.ts';

/** At most one message per period: an operator written as an RxJS pipeline. */
export const ThrottleOp = defineOperator({
  name: 'ThrottleOp',
  description: 'passes at most one message per period (RxJS throttleTime), any message type',
  params: z.object({
    period_ms: z.number().positive().default(100).describe('the shortest time between two messages passed on'),
    trailing: z.boolean().default(false).describe('also pass the last message of each period, at its end'),
  }).strict(),
  inputs: { in: port(Any) },
  outputs: { out: port(Any) },
  pipe: ({ in: in$ }, { params }) => ({ out: in$.pipe(throttleTime(params.period_ms, undefined, { leading: true, trailing: params.trailing })) }),
});
