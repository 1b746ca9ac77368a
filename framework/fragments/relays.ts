import { z } from 'zod';
import type { MessageType } from '../message-type.ts';
import { defineOperator, type AnyOperatorDefinition } from '../operator.ts';
import { nodeOfContext } from '../operator-node.ts';
import { port } from '../port.ts';
import type { FragmentLink } from './fragment-link.ts';
import { FlowReceiver } from './flow-receiver.ts';
import { FlowSender } from './flow-sender.ts';
import { RequestResponder } from './request-responder.ts';
import { RequestSender } from './request-sender.ts';

const NoParams = z.object({}).strict();

/**
 * Stands in, in the sending process, for the operator at the far end of a crossing flow. A data flow
 * computes only while some receiver has credit (an asynchronous condition the credit wakes), so the
 * flow's local queue holds what waits, under the flow's own capacity and policy.
 */
export function senderRelay(link: FragmentLink, key: string, type: MessageType<unknown>): AnyOperatorDefinition {
  const requests = type.reply !== undefined;
  return defineOperator({
    name: requests ? 'RequestSenderRelay' : 'FlowSenderRelay',
    description: `sends ${key} to other processes over NATS`,
    params: NoParams,
    inputs: { in: port(type) },
    conditions: requests ? [] : [{ type: 'asynchronous' }],
    relay: true,
    initialize(ctx) {
      return { endpoint: requests ? new RequestSender(link, key, type) : new FlowSender(link, key, type, () => ctx.notify()) };
    },
    start(ctx) { ctx.state.endpoint.start(); },
    compute({ in: value }, _emit, ctx) {
      const ep = ctx.state.endpoint;
      ep.send(value, ctx.metadata, nodeOfContext.get(ctx)!.currentTrace);
      if (ep instanceof FlowSender && ep.ready) ctx.notify();
    },
  });
}

/**
 * Stands in, in the receiving process, for the operator at the far end of a crossing flow: emits what
 * arrives (with its metadata and trace) into the flow's local queue. Its output never waits for room,
 * so the queue's policy decides, as in one process (newest wins for video).
 */
export function receiverRelay(link: FragmentLink, key: string, type: MessageType<unknown>): AnyOperatorDefinition {
  const requests = type.reply !== undefined;
  return defineOperator({
    name: requests ? 'RequestReceiverRelay' : 'FlowReceiverRelay',
    description: `receives ${key} from other processes over NATS`,
    params: NoParams,
    outputs: { out: port(type, { condition: 'none' }) },
    conditions: [{ type: 'asynchronous' }],
    relay: true,
    initialize(ctx) {
      const wake = () => ctx.notify();
      return { endpoint: requests ? new RequestResponder(link, key, type, wake) : new FlowReceiver(link, key, type, wake) };
    },
    start(ctx) { ctx.state.endpoint.start(); },
    compute(_inputs, emit, ctx) {
      const node = nodeOfContext.get(ctx)!;
      for (const env of ctx.state.endpoint.take()) {
        node.adoptTrace(env.trace);
        emit.out(env.value, env.meta);
        ctx.state.endpoint.acknowledge(env);
      }
    },
  });
}
