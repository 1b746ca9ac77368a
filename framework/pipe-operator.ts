import { Observable, Subject, Subscription } from 'rxjs';
import type { z } from 'zod';
import type { ConditionSpec } from './conditions.ts';
import type { Emitters, OperatorContext, OperatorHooks } from './operator.ts';
import type { MessageOf, PortMap } from './port.ts';

/** A pipe's inputs: one hot Observable per input port, completing when that operator's inputs end. */
export type InputStreams<I extends PortMap> = { readonly [K in keyof I]: Observable<MessageOf<I[K]>> };
/** What a pipe returns: an Observable per output port it feeds (ports left out emit nothing). */
export type OutputStreams<O extends PortMap> = { [K in keyof O]?: Observable<MessageOf<O[K]>> };

export interface PipeDefinitionInput<Params extends z.ZodType, I extends PortMap, O extends PortMap> {
  readonly name: string;
  readonly description?: string;
  readonly params?: Params;
  readonly inputs?: I;
  readonly outputs?: O;
  readonly conditions?: readonly ConditionSpec[];
  /**
   * Builds the operator's RxJS pipeline once per run, at start. Values only: what a pipe emits carries
   * the metadata of the latest message it consumed.
   */
  pipe(inputs: InputStreams<I>, ctx: OperatorContext<z.output<Params>>): OutputStreams<O>;
}

/** A pipe operator's per-run state (its `ctx.state`). */
export interface PipeState {
  readonly inputs: Record<string, Subject<unknown>>;
  readonly subscription: Subscription;
  /** Settles when every output stream has completed (at once when the pipe feeds none). */
  readonly outputsDone: Promise<void>;
  inputsCompleted: boolean;
}

/**
 * The lifecycle hooks that run a pipe inside the graph. The run queue still carries messages between
 * operators (bounded queues, policies, conditions); the pipe sees its inputs as Subjects fed by
 * compute and its outputs are subscribed to emit.
 *
 * What a pipe still holds when its stream ends (the rule; docs/architecture.md):
 * - End of stream (every input ended while the graph runs): the input Subjects complete, so operators
 *   such as `bufferCount` flush; what they emit flows downstream as usual and the graph ends after it.
 * - Stop (a signal, `app.stop()`, a failure elsewhere): the run queue has stopped, so downstream
 *   operators compute no more. The inputs complete all the same and the flush is awaited up to the
 *   stop timeout; what it emits reaches taps (`app.output`) but no operator, and is counted and logged
 *   as undelivered (`app.undelivered()`). A pipe still busy after the timeout is unsubscribed, with a
 *   warning.
 */
export function pipeHooks<P, I extends PortMap, O extends PortMap>(
  name: string,
  inputPorts: I,
  outputPorts: O,
  pipe: (inputs: InputStreams<I>, ctx: OperatorContext<P>) => OutputStreams<O>,
): Required<Pick<OperatorHooks<P, I, O, PipeState>, 'initialize' | 'start' | 'afterStart' | 'compute' | 'endOfStream' | 'stop'>> {
  const inputNames = Object.keys(inputPorts);
  const isMulti = inputNames.map((k) => inputPorts[k].multi);
  const completeInputs = (state: PipeState) => {
    if (state.inputsCompleted) return;
    state.inputsCompleted = true;
    for (const s of Object.values(state.inputs)) s.complete();
  };
  const hasInputs = Object.keys(inputPorts).length > 0;
  const subscribe = (ctx: OperatorContext<P> & { state: PipeState }, emit: Emitters<O>) => {
    const state = ctx.state as PipeState & { resolveOutputs: () => void };
    const streams = Object.fromEntries(Object.entries(state.inputs).map(([k, s]) => [k, s.asObservable()])) as InputStreams<I>;
    const outputs = pipe(streams, ctx) ?? {};
    const entries = Object.entries(outputs).filter(([, o]) => o !== undefined) as [string, Observable<unknown>][];
    for (const [k, o] of entries) {
      if (!(k in outputPorts)) throw new Error(`${name}: pipe returned '${k}', which is not an output port (outputs: ${Object.keys(outputPorts).join(', ') || 'none'})`);
      if (!(o instanceof Observable)) throw new Error(`${name}: pipe's '${k}' is not an Observable`);
    }
    let open = entries.length;
    if (open === 0) state.resolveOutputs();
    const emitters = emit as Record<string, (v: unknown) => void>;
    for (const [k, o] of entries) {
      const out = emitters[k];
      state.subscription.add(o.subscribe({
        next: (v) => {
          // A 'fault' queue throws here; it is the pipe's failure, not the Observable's.
          try { out(v); } catch (e) { ctx.fail(e); }
        },
        error: (e) => ctx.fail(e),
        complete: () => {
          if (--open > 0) return;
          state.resolveOutputs();
          ctx.disable(); // nothing left to emit: the operator's end of stream
        },
      }));
    }
  };
  return {
    initialize() {
      let resolve!: () => void;
      const outputsDone = new Promise<void>((r) => { resolve = r; });
      const state: PipeState & { resolveOutputs: () => void } = {
        inputs: Object.fromEntries(Object.keys(inputPorts).map((k) => [k, new Subject<unknown>()])),
        subscription: new Subscription(),
        outputsDone,
        inputsCompleted: false,
        resolveOutputs: resolve,
      };
      return state;
    },
    // A pipe with inputs subscribes before anything computes, so no input is missed; a source pipe
    // subscribes once scheduling runs, so what a cold Observable pushes at once meets running consumers.
    start(ctx, emit) {
      if (hasInputs) subscribe(ctx, emit);
    },
    afterStart(ctx, emit) {
      if (!hasInputs) subscribe(ctx, emit);
    },
    compute(values, _emit, ctx) {
      const subjects = ctx.state.inputs;
      // Plain loops over names fixed at definition: this runs once per message.
      for (let i = 0; i < inputNames.length; i++) {
        const k = inputNames[i];
        const v = (values as Record<string, unknown>)[k];
        if (v === undefined) continue;
        const subject = subjects[k];
        if (isMulti[i]) for (const item of v as unknown[]) subject.next(item);
        else subject.next(v);
      }
    },
    endOfStream(ctx) {
      completeInputs(ctx.state);
      return ctx.state.outputsDone;
    },
    async stop(ctx) {
      const state = ctx.state;
      completeInputs(state);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ctx.stopTimeoutMs); });
      const result = await Promise.race([state.outputsDone, timeout]);
      clearTimeout(timer);
      if (result === 'timeout') ctx.log.warn(`pipe still busy ${ctx.stopTimeoutMs} ms after its inputs completed; unsubscribed (what it held is lost)`);
      state.subscription.unsubscribe();
    },
  };
}
