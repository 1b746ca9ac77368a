import type { NatsConnection } from '@nats-io/transport-node';
import { connectAligned } from './nats-aligned-transport.ts';

/** How to reach NATS; user/password, token and TLS go through to the client as they are. */
export interface NatsOptions {
  /** One URL or several (a cluster): `nats://host:4222`, `tls://host:4222`. */
  servers: string[];
  user?: string;
  pass?: string;
  token?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
}

/** A setup problem the user fixes (address, credentials, server limits): the CLI exits 2 naming the fix. */
export class FragmentSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FragmentSetupError';
  }
}

/**
 * Connects once (through AlignedNodeTransport, so large messages are read without the parser's
 * doubling buffer), and then never gives up: after a server restart the client reconnects for as long as
 * it takes (`maxReconnectAttempts: -1`; NATS's default gives up after 10 tries, about 19 s).
 */
export async function connectNats(o: NatsOptions, name: string): Promise<NatsConnection> {
  const where = o.servers.join(', ');
  try {
    return await connectAligned({
      servers: o.servers,
      name,
      user: o.user,
      pass: o.pass,
      token: o.token,
      tls: o.tls ? { ...o.tls } : undefined,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      timeout: 5000,
    });
  } catch (e) {
    const err = e as Error;
    const text = `${err.message} ${(err.cause as Error | undefined)?.message ?? ''}`;
    if (err.name === 'AuthorizationError' || /authorization|authentication/i.test(text)) {
      throw new FragmentSetupError(`NATS at ${where} refused the connection (${err.message}): give the user and password (--nats-user, --nats-password) or the token (--nats-token) its configuration names`);
    }
    if (/tls|certificate|ssl/i.test(text)) {
      throw new FragmentSetupError(`TLS to NATS at ${where} failed (${text.trim()}): check --nats-tls-ca (the CA that signed the server's certificate) and, for mutual TLS, --nats-tls-cert and --nats-tls-key`);
    }
    throw new FragmentSetupError(`cannot reach NATS at ${where} (${text.trim()}): start nats-server (e.g. nats-server -c nats.conf) or point --nats at a running one`);
  }
}
