import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../logger.ts';
import { connectNats, FragmentSetupError, type NatsOptions } from './nats-connect.ts';
import { Presence, type InstanceInfo } from './presence.ts';

/** What a flow endpoint hears from the link: the connection and the other instances coming and going. */
export interface LinkEndpoint {
  disconnected(): void;
  reconnected(): void;
  joined(peer: InstanceInfo): void;
  left(peer: InstanceInfo, reason: string): void;
  /** Counters for the log at exit. */
  summary(): string;
  close(): void;
}

export interface LinkOptions {
  nats: NatsOptions;
  app: string;
  instance: string;
  fragments: string[];
  receives: string[];
  answers: string[];
  log: Logger;
}

/**
 * One process's NATS connection for its fragments: subjects under `holots.<app>`, presence, and the
 * connection's ups and downs passed to every flow endpoint. Acks for all of this instance's outgoing
 * flows arrive on one subject, `holots.<app>.ack.<instance>`.
 */
export class FragmentLink {
  readonly prefix: string;
  readonly presence: Presence;
  private readonly endpoints = new Set<LinkEndpoint>();
  private readonly ackHandlers = new Map<string, (receiver: string, seq: number) => void>();
  private closed = false;

  private constructor(readonly nc: NatsConnection, readonly options: LinkOptions) {
    this.prefix = `holots.${options.app}`;
    this.presence = new Presence(nc, this.prefix, Presence.describe(options.instance, options.fragments, options.receives, options.answers), options.log);
    this.presence.listen({
      joined: (p) => { for (const e of this.endpoints) e.joined(p); },
      left: (p, reason) => { for (const e of this.endpoints) e.left(p, reason); },
    });
  }

  static async open(options: LinkOptions): Promise<FragmentLink> {
    const nc = await connectNats(options.nats, `holots ${options.app} ${options.instance}`);
    const link = new FragmentLink(nc, options);
    link.watch();
    const decoder = new TextDecoder();
    nc.subscribe(`${link.prefix}.ack.${options.instance}`, {
      callback: (err, m) => {
        if (err) return;
        try {
          const { k, r, s } = JSON.parse(decoder.decode(m.data)) as { k: string; r: string; s: number };
          link.ackHandlers.get(k)?.(r, s);
        } catch {
          options.log.warn(`ignored a malformed ack on ${m.subject}`);
        }
      },
    });
    options.log.info(`instance ${options.instance} (fragment ${options.fragments.join('+')}) on NATS ${nc.getServer()} (max_payload ${nc.info?.max_payload ?? '?'} bytes)`);
    return link;
  }

  get instance(): string { return this.options.instance; }
  get log(): Logger { return this.options.log; }
  /** The largest message the server takes (its INFO `max_payload`, which a reconnect to another server may change). */
  get maxPayload(): number { return this.nc.info?.max_payload ?? Infinity; }

  /**
   * Checked before every publish (NATS's client would throw a bare "max_payload size exceeded", or in a
   * reply callback lose the reply): the error names the flow, the sizes and the fix; the CLI exits 2 on it.
   */
  checkPayload(bytes: number, what: string): void {
    const max = this.maxPayload;
    if (bytes <= max) return;
    throw new FragmentSetupError(`a ${bytes}-byte ${what} exceeds the NATS server's max_payload of ${max} bytes: raise max_payload in the server's configuration (e.g. max_payload: 8MB; a 720p yuv420p frame is 1.4 MB, 1080p 3.1 MB; keep it at most max_pending)`);
  }

  private readonly notStarted = new Set<LinkEndpoint>();
  private announcing = false;

  /** Endpoints register when their relay initializes (all before any starts). */
  add(e: LinkEndpoint): void { this.endpoints.add(e); this.notStarted.add(e); }

  /**
   * An endpoint subscribed. Presence starts once all have, so a peer that hears of this instance finds
   * its subscriptions in place (nothing sent to it is lost to the start order).
   */
  started(e: LinkEndpoint): void {
    this.notStarted.delete(e);
    if (this.notStarted.size === 0 && !this.announcing) {
      this.announcing = true;
      this.presence.start();
    }
  }
  onAck(flow: string, handler: (receiver: string, seq: number) => void): void { this.ackHandlers.set(flow, handler); }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.endpoints) {
      e.close();
      const s = e.summary();
      if (s) this.log.info(s);
    }
    this.presence.stop();
    // drain: what was published goes out, subscriptions end, then the connection closes.
    await this.nc.drain().catch(() => this.nc.close());
  }

  private watch(): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === 'disconnect') {
          this.log.warn(`NATS connection to ${s.server} lost; reconnecting (messages sent meanwhile are lost and counted)`);
          this.presence.pause();
          for (const e of this.endpoints) e.disconnected();
        } else if (s.type === 'reconnect') {
          this.log.info(`NATS reconnected to ${s.server}`);
          this.presence.resume();
          for (const e of this.endpoints) e.reconnected();
        } else if (s.type === 'error' || s.type === 'slowConsumer') {
          this.log.warn(`NATS: ${s.type}${'error' in s ? ` ${String((s as { error?: unknown }).error)}` : ''}`);
        }
      }
    })();
  }
}
