import { z } from 'zod';
import type { Application, FlowInfo } from '../application.ts';
import { GraphError } from '../errors.ts';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `fragments: { ingest: [web_server, webrtc_client], viz: [holoviz] }`: which operators each fragment holds. */
export const FragmentMap = z.record(
  z.string().regex(IDENT, 'a fragment name is an identifier'),
  // Operators of a subgraph have qualified names (`denoise.median`).
  z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'an operator name')).min(1, 'a fragment holds at least one operator'),
).describe('fragments: name -> the operators it holds; `holots run --fragment NAME` runs one over NATS');
export type FragmentMap = z.infer<typeof FragmentMap>;

/** A flow whose ends live in different fragments: it crosses processes over NATS. */
export interface CrossingFlow extends FlowInfo {
  fromFragment: string;
  toFragment: string;
}

/** Each operator must be in exactly one fragment, and every name must be an operator of the app. */
export function checkFragments(app: Application, fragments: FragmentMap): void {
  const owner = new Map<string, string>();
  const operators = new Set(app.operatorNames());
  for (const [fragment, ops] of Object.entries(fragments)) {
    for (const op of ops) {
      if (!operators.has(op)) throw new GraphError(`fragment '${fragment}' lists '${op}', which is not an operator of '${app.name}' (operators: ${[...operators].join(', ')})`, ['fragments', fragment]);
      const first = owner.get(op);
      if (first) throw new GraphError(`operator '${op}' is in two fragments ('${first}' and '${fragment}'); each operator runs in exactly one`, ['fragments', fragment]);
      owner.set(op, fragment);
    }
  }
  const missing = [...operators].filter((op) => !owner.has(op));
  if (missing.length) throw new GraphError(`operator${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} in no fragment; list each operator in exactly one`, ['fragments']);
}

export function fragmentOf(fragments: FragmentMap, operator: string): string | undefined {
  return Object.entries(fragments).find(([, ops]) => ops.includes(operator))?.[0];
}

/** The flows that cross from one fragment to another. */
export function crossingFlows(app: Application, fragments: FragmentMap): CrossingFlow[] {
  return app.flows().flatMap((f) => {
    const fromFragment = fragmentOf(fragments, f.from)!;
    const toFragment = fragmentOf(fragments, f.to)!;
    return fromFragment === toFragment ? [] : [{ ...f, fromFragment, toFragment }];
  });
}

/** The same flow's name in every process: also its NATS subject tokens. */
export function flowKey(f: FlowInfo): string {
  return `${f.from}.${f.fromPort}.${f.to}.${f.toPort}`;
}
