/**
 * Compile-time checks of the RxJS surface, compiled by `npm test`'s tsc step (not run): each
 * `@ts-expect-error` line must be a type error, or tsc fails because the directive is unused.
 */
import { map, of, type Observable } from 'rxjs';
import { z } from 'zod';
import { Application, defineMessage, defineOperator, NumberMessage, port, type Tapped } from '../../framework/index.ts';
import { Forward } from './helpers.ts';

const Text = defineMessage('text', z.string());
const app = new Application('types');
const fwd = app.add('fwd', Forward);

const tapped: Observable<Tapped<number>> = app.output(fwd, 'out');
// @ts-expect-error Forward's out carries numbers, not strings
const wrongType: Observable<Tapped<string>> = app.output(fwd, 'out');
// @ts-expect-error Forward has no output port 'in' (it is an input)
app.output(fwd, 'in');
const untyped: Observable<Tapped<unknown>> = app.output('fwd.out');

app.input(fwd, 'in', of(1, 2, 3));
// @ts-expect-error Forward's in takes numbers
app.input(fwd, 'in', of('a', 'b'));
// @ts-expect-error no input port 'out'
app.input(fwd, 'out', of(1));

export const Typed = defineOperator({
  name: 'Typed',
  inputs: { n: port(NumberMessage), s: port(Text) },
  outputs: { out: port(NumberMessage) },
  pipe: ({ n, s }) => {
    const sig: Observable<string> = s;
    void sig;
    return { out: n.pipe(map((x) => x * 2)) };
  },
});

// @ts-expect-error out is a number port; a pipe cannot feed it strings
export const WrongOutput = defineOperator({
  name: 'WrongOutput',
  inputs: { in: port(NumberMessage) },
  outputs: { out: port(NumberMessage) },
  pipe: ({ in: in$ }) => ({ out: in$.pipe(map((x) => String(x))) }),
});

// @ts-expect-error there is no output port 'other'
export const UnknownOutput = defineOperator({
  name: 'UnknownOutput',
  inputs: { in: port(NumberMessage) },
  outputs: { out: port(NumberMessage) },
  pipe: ({ in: in$ }) => ({ other: in$ }),
});

void tapped; void wrongType; void untyped;
