/**
 * A graph source that turns calls into Signaling requests and resolves with their replies: how tests and the
 * bench receivers talk to WebRTCClientOp without a web server. Its own file, free of playwright-core, so a
 * measured receiver process loads nothing of the harness that drives it (playwright's bundles alone are
 * ~14 MB of V8 heap, which every full GC would mark).
 */
import { z } from 'zod';
import { defineOperator, port } from '../framework/index.ts';
import { Signaling, type SignalingReply, type SignalingRequest } from '../operators/messages/index.ts';

/** Request shapes without the reply callback, as a page or test sends them. */
export type PlainRequest = { [K in SignalingRequest['kind']]: Omit<Extract<SignalingRequest, { kind: K }>, 'reply'> }[SignalingRequest['kind']];

/** A graph source that turns test calls into Signaling messages and resolves with their replies. */
export function makeSignalingInjector() {
  let notify: (() => void) | null = null;
  const queue: SignalingRequest[] = [];
  const op = defineOperator({
    name: 'SignalingInjector',
    params: z.object({}).strict(),
    outputs: { signaling: port(Signaling, { condition: 'none' }) },
    conditions: [{ type: 'asynchronous' }],
    start(ctx) { notify = () => ctx.notify(); if (queue.length) ctx.notify(); },
    compute(_i, emit, ctx) {
      const next = queue.shift();
      if (next) emit.signaling(next);
      if (queue.length) ctx.notify();
    },
    stop() { notify = null; },
  });
  const send = (req: PlainRequest, timeoutMs = 15_000): Promise<SignalingReply> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to '${req.kind}' within ${timeoutMs} ms`)), timeoutMs);
    queue.push({ ...req, reply: (r: SignalingReply) => { clearTimeout(timer); resolve(r); } } as SignalingRequest);
    notify?.();
  });
  return { op, send };
}
