import { BoundedQueue, type QueuePolicy } from './queue.ts';
import type { Metadata } from './metadata.ts';
import type { OperatorNode } from './operator-node.ts';
import type { Trace } from './tracking.ts';

/** What travels on a connection: the value plus its metadata and (when tracking) its trace. */
export interface Envelope {
  readonly value: unknown;
  readonly meta: Metadata;
  readonly trace: Trace | null;
}

export interface ConnectionOptions {
  capacity?: number;
  policy?: QueuePolicy;
}

/** One edge of the graph: an output port feeding an input port through a bounded queue. */
export class Connection {
  readonly queue: BoundedQueue<Envelope>;
  readonly label: string;
  /** Whether the receiving port gates its operator (message-available). */
  readonly targetGating: boolean;

  constructor(
    readonly from: OperatorNode,
    readonly fromPort: string,
    readonly to: OperatorNode,
    readonly toPort: string,
    capacity: number,
    policy: QueuePolicy,
  ) {
    this.label = `${from.name}.${fromPort} -> ${to.name}.${toPort}`;
    this.queue = new BoundedQueue<Envelope>(capacity, policy, this.label);
    this.targetGating = to.inputPort(toPort)?.gating ?? true;
  }
}
