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
 * An instance that says nothing this long is gone, whatever the server says: the backstop. Generous,
 * because a starved machine delays timers by seconds; a dead instance is found much sooner by `check`.
 */
export const EXPIRE_MS = 10_000;
/** A peer silent this long is asked directly whether its connection still exists (see `check`). */
export const SUSPECT_MS = 2500;
/** How long that question waits for the peer's own answer (only NATS's "no responders" decides). */
const CHECK_TIMEOUT_MS = 2000;
/**
 * After this process reconnects, peers are still subscribing again for a moment: until then a "no
 * responders" proves nothing, and only the heartbeat decides.
 */
const RESUBSCRIBE_GRACE_MS = 5000;

/** Whether a NATS request failed because no subscriber exists for its subject (the server said so). */
export function isNoResponders(e: unknown): boolean {
  const err = e as Error | undefined;
  return err?.name === 'NoRespondersError' || (err?.cause as Error | undefined)?.name === 'NoRespondersError' || /no responders/i.test(err?.message ?? '');
}

export interface PresenceEvents {
  joined(peer: InstanceInfo): void;
  left(peer: InstanceInfo, reason: string): void;
}

/**
 * Every fragment process announces itself on `<prefix>.presence` each second and on request
 * (`<prefix>.probe`), so fragments find each other in any start order; one that stops says goodbye.
 * One that dies (kill -9, a lost machine) is found fast without false alarms: nats-server drops a
 * closed connection's subscriptions at once, so a request to the peer's own `<prefix>.alive.<id>`
 * that the server answers with "no responders" proves the peer is gone. That question is asked when
 * a peer misses heartbeats for `SUSPECT_MS` or when a request to it found no subscriber (`check`); a
 * peer that is merely slow (a starved machine) is never dropped by it, only by silence for `EXPIRE_MS`,
 * the backstop.
 */
export class Presence {
  private readonly peers = new Map<string, { info: InstanceInfo; seen: number }>();
  private readonly subs: Subscription[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** While disconnected nobody can be heard, so nobody is declared gone. */
  private paused = false;
  private readonly listeners: PresenceEvents[] = [];
  private readonly checking = new Set<string>();
  private graceUntil = 0;
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
    this.subs.push(this.nc.subscribe(`${this.prefix}.alive.${this.self.instance}`, { callback: (err, m) => { if (!err) m.respond(); } }));
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
    this.graceUntil = now + RESUBSCRIBE_GRACE_MS;
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

  /**
   * Asks whether a peer's connection still exists; drops the peer when the server answers that nobody
   * subscribes to its `alive` subject. An answer from the peer counts as a heartbeat; no answer in
   * time decides nothing (the peer may be busy).
   */
  check(id: string, why: string): void {
    if (!this.peers.has(id) || this.checking.has(id) || this.paused || this.nc.isClosed() || performance.now() < this.graceUntil) return;
    this.checking.add(id);
    this.nc.request(`${this.prefix}.alive.${id}`, undefined, { timeout: CHECK_TIMEOUT_MS }).then(
      () => { const p = this.peers.get(id); if (p) p.seen = performance.now(); },
      (e: unknown) => {
        if (isNoResponders(e) && !this.paused && performance.now() >= this.graceUntil) this.drop(id, `its NATS connection is gone (${why}; nobody subscribes to its alive subject)`);
      },
    ).finally(() => this.checking.delete(id));
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
    for (const [id, p] of this.peers) {
      const silent = `no heartbeat for ${Math.round((now - p.seen) / 100) / 10} s`;
      if (now - p.seen > EXPIRE_MS) this.drop(id, silent);
      else if (now - p.seen > SUSPECT_MS) this.check(id, silent);
    }
  }

  private drop(id: string, reason: string): void {
    const p = this.peers.get(id);
    if (!p) return;
    this.peers.delete(id);
    this.log.warn(`instance ${id} (fragment ${p.info.fragments.join('+')}) left: ${reason}`);
    for (const l of this.listeners) l.left(p.info, reason);
  }
}
