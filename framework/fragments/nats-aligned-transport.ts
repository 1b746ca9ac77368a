import { NatsConnectionImpl, setTransportFactory, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
// The Node transport itself is not exported by name; its module is public in the package (no exports map).
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport.js';
import { NatsMessageAligner } from './nats-message-aligner.ts';

/**
 * nats.js's own Node transport (socket, TLS, reconnects all as they are), with the bytes it reads
 * re-cut by NatsMessageAligner so the parser is never handed a large message in pieces.
 */
export class AlignedNodeTransport extends NodeTransport {
  override async *iterate(): AsyncIterableIterator<Uint8Array> {
    const aligner = new NatsMessageAligner();
    for await (const piece of super.iterate()) {
      for (const aligned of aligner.push(piece)) yield aligned;
    }
  }
}

/**
 * `connect()` of @nats-io/transport-node, with AlignedNodeTransport. The factory is global to the
 * process: a later `connect()` from the plain package sets its own for the dials after it (which
 * then work as before, only with the parser's extra garbage), so each call sets it again.
 */
export function connectAligned(options: NodeConnectionOptions): Promise<NatsConnection> {
  setTransportFactory({ factory: () => new AlignedNodeTransport(), dnsResolveFn: nodeResolveHost });
  return NatsConnectionImpl.connect(options);
}
