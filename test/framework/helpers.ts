import { z } from 'zod';
import { defineOperator, NumberMessage, port, Any } from '../../framework/index.ts';

/** Small operators for framework tests; each records what happened so tests can assert on it. */
export const Source = defineOperator({
  name: 'Source',
  params: z.object({}).strict(),
  outputs: { out: port(NumberMessage) },
  initialize: () => ({ n: 0 }),
  compute(_i, emit, ctx) { emit.out(++ctx.state.n); },
});

/** A source whose output never blocks, so queue policies decide what survives. */
export const EagerSource = defineOperator({
  name: 'EagerSource',
  params: z.object({}).strict(),
  outputs: { out: port(NumberMessage, { condition: 'none' }) },
  initialize: () => ({ n: 0 }),
  compute(_i, emit, ctx) { emit.out(++ctx.state.n); },
});

export const Forward = defineOperator({
  name: 'Forward',
  params: z.object({ tag: z.string().optional() }).strict(),
  inputs: { in: port(NumberMessage) },
  outputs: { out: port(NumberMessage) },
  compute({ in: v }, emit, ctx) { emit.out(v, ctx.params.tag ? { [ctx.params.tag]: v } : undefined); },
});

export function makeSink(log: number[], opts: { delayMs?: number; metas?: unknown[] } = {}) {
  return defineOperator({
    name: 'Sink',
    params: z.object({}).strict(),
    inputs: { in: port(NumberMessage) },
    async compute({ in: v }, _e, ctx) {
      log.push(v);
      opts.metas?.push(ctx.metadata);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    },
  });
}

export function makeMultiSink(batches: number[][]) {
  return defineOperator({
    name: 'MultiSink',
    params: z.object({}).strict(),
    inputs: { in: port(NumberMessage, { multi: true }) },
    compute({ in: values }) { batches.push(values); },
  });
}

export function makeLifecycleOp(name: string, events: string[], opts: { throwIn?: 'initialize' | 'start' | 'compute' | 'stop'; asSource?: boolean } = {}) {
  const boom = (phase: string) => { if (opts.throwIn === phase) throw new Error(`${name} broke in ${phase}`); };
  return defineOperator({
    name: 'Lifecycle',
    params: z.object({}).strict(),
    inputs: opts.asSource ? {} : { in: port(Any) },
    outputs: { out: port(Any) },
    initialize: () => { events.push(`${name}.initialize`); boom('initialize'); return undefined; },
    start: () => { events.push(`${name}.start`); boom('start'); },
    compute: (_i, emit) => { boom('compute'); emit.out(1); },
    stop: () => { events.push(`${name}.stop`); boom('stop'); },
  });
}
