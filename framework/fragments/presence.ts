import { hostname } from 'node:os';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger } from '../logger.ts';

/** What one running fragment process says about itself. */
export interface InstanceInfo {
  instance: string;
  fragments: string[];
  /** Flow keys it receives (data flows). */
  receives: string[];
  /** Flow keys it answers (request/reply flows). */
  answers: string[];
  host: string;
  pid: number;
}

export const HEARTBEAT_MS = 1000;
/**
 * An instance that says nothing this long is gone. Generous: a starved machine delays timers by
 * seconds, and a kill -9 already drops the instance's subscriptions at the server at once (new work
 * goes elsewhere); this only decides when its sessions are declared ended.
 */
export const EXPIRE_MS = 10_000;

export interface PresenceEvents {
  joined(peer: InstanceInfo): void;
  left(peer: InstanceInfo, reason: string): void;
}

/**
 * Every fragment process announces itself on `<prefix>.presence` each second and on request
 * (`<prefix>.probe`), so fragments find each other in any start order; one that stops says goodbye,
 * one that dies is noticed after `EXPIRE_MS` (a kill -9 also drops its subscriptions at the server at
 * once, which is what routes new requests away from it).
 */
export class Presence {
  private readonly peers = new Map<string, { info: InstanceInfo; seen: number }>();
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** While disconnected nobody can be heard, so nobody is declared gone. */
  private paused = false;
  private readonly listeners: PresenceEvents[] = [];
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    readonly self: InstanceInfo,
    private readonly log: Logger,
  ) {}

  static describe(instance: string, fragments: string[], receives: string[], answers: string[]): InstanceInfo {
    return { instance, fragments, receives, answers, host: hostname(), pid: process.pid };
  }

  listen(l: PresenceEvents): void { this.listeners.push(l); }

  list(): InstanceInfo[] { return [...this.peers.values()].map((p) => p.info); }
  get(instance: string): InstanceInfo | undefined { return this.peers.get(instance)?.info; }

  start(): void {
    this.subs.push(this.nc.subscribe(`${this.prefix}.presence`, { callback: (err, m) => { if (!err) this.heard(m.data); } }));
    this.subs.push(this.nc.subscribe(`${this.prefix}.probe`, { callback: (err) => { if (!err) this.announce(); } }));
    this.announce();
    this.probe();
    this.timer = setInterval(() => { this.announce(); this.expire(); }, HEARTBEAT_MS);
    this.timer.unref();
  }

  announce(state: 'up' | 'bye' = 'up'): void {
    if (this.nc.isClosed()) return;
    this.nc.publish(`${this.prefix}.presence`, this.encoder.encode(JSON.stringify({ ...this.self, state })));
  }

  /** Asks everyone to announce now (at start and after a reconnect). */
  probe(): void {
    if (!this.nc.isClosed()) this.nc.publish(`${this.prefix}.probe`);
  }

  /** The connection dropped: stop judging silence until it is back. */
  pause(): void { this.paused = true; }

  /** Reconnected: everyone known gets a fresh grace period, and everyone is asked to announce. */
  resume(): void {
    this.paused = false;
    const now = performance.now();
    for (const p of this.peers.values()) p.seen = now;
    this.announce();
    this.probe();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.announce('bye');
    for (const s of this.subs) s.unsubscribe();
  }

  private heard(data: Uint8Array): void {
    let msg: InstanceInfo & { state?: string };
    try {
      msg = JSON.parse(this.decoder.decode(data));
    } catch {
      this.log.warn(`ignored a presence message that is not JSON on ${this.prefix}.presence`);
      return;
    }
    if (typeof msg?.instance !== 'string' || msg.instance === this.self.instance) return;
    const known = this.peers.get(msg.instance);
    if (msg.state === 'bye') {
      if (known) this.drop(msg.instance, 'it stopped');
      return;
    }
    if (!Array.isArray(msg.receives) || !Array.isArray(msg.answers) || !Array.isArray(msg.fragments)) return;
    this.peers.set(msg.instance, { info: msg, seen: performance.now() });
    if (!known) {
      this.log.info(`instance ${msg.instance} (fragment ${msg.fragments.join('+')}, ${msg.host} pid ${msg.pid}) joined`);
      for (const l of this.listeners) l.joined(msg);
    }
  }

  private expire(): void {
    if (this.paused) return;
    const now = performance.now();
    for (const [id, p] of this.peers) if (now - p.seen > EXPIRE_MS) this.drop(id, `no heartbeat for ${Math.round((now - p.seen) / 100) / 10} s`);
  }

  private drop(id: string, reason: string): void {
    const p = this.peers.get(id);
    if (!p) return;
    this.peers.delete(id);
    this.log.warn(`instance ${id} (fragment ${p.info.fragments.join('+')}) left: ${reason}`);
    for (const l of this.listeners) l.left(p.info, reason);
  }
}
