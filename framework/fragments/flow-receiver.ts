import type { Msg, Subscription } from '@nats-io/transport-node';
import type { MessageType } from '../message-type.ts';
import type { FragmentLink, LinkEndpoint } from './fragment-link.ts';
import type { InstanceInfo } from './presence.ts';
import { SequenceGaps } from './sequence-gaps.ts';
import { decodeEnvelope, MalformedMessage, type DecodedEnvelope } from './wire-envelope.ts';

/** Senders keep to their credit; this bounds what a misbehaving publisher can park here. */
const INBOX_LIMIT = 64;
/** At most one log line per flow and kind of trouble this often. */
const LOG_EVERY_MS = 1000;

/**
 * The receiving end of a flow that crosses from other processes: decodes in the subscription's
 * callback (never a `for await`, which buffers without bound), counts what sequence numbers say was
 * lost and drops what is malformed, naming the subject. The relay operator emits what arrived into the
 * flow's local queue (whose capacity and policy apply as in one process), then acknowledges it.
 */
export class FlowReceiver<T = unknown> implements LinkEndpoint {
  readonly gaps = new SequenceGaps();
  received = 0;
  malformed = 0;
  overflowed = 0;
  private inbox: DecodedEnvelope<T>[] = [];
  protected readonly subs: Subscription[] = [];
  private readonly lastLog = new Map<string, number>();
  private readonly encoder = new TextEncoder();

  constructor(
    protected readonly link: FragmentLink,
    readonly key: string,
    protected readonly type: MessageType<T>,
    private readonly wake: () => void,
  ) {
    link.add(this);
  }

  start(): void {
    this.subs.push(this.link.nc.subscribe(`${this.link.prefix}.flow.${this.key}.${this.link.instance}`, { callback: (err, m) => { if (!err) this.arrived(m); } }));
    this.link.started(this);
  }

  /** What arrived since the last call, oldest first. */
  take(): DecodedEnvelope<T>[] {
    const all = this.inbox;
    this.inbox = [];
    return all;
  }

  /** The message is in the local queue: its sender may send another. */
  acknowledge(env: DecodedEnvelope<T>): void {
    this.link.nc.publish(`${this.link.prefix}.ack.${env.from}`, this.encoder.encode(JSON.stringify({ k: this.key, r: this.link.instance, s: env.seq })));
  }

  protected arrived(m: Msg, complete?: (value: unknown) => unknown): DecodedEnvelope<T> | null {
    let env: DecodedEnvelope<T>;
    try {
      env = decodeEnvelope(this.type, m.data, complete);
    } catch (e) {
      if (!(e instanceof MalformedMessage)) throw e;
      this.malformed++;
      this.logLimited('malformed', `flow ${this.key}: dropped a malformed message on ${m.subject}: ${e.message} (${this.malformed} so far)`);
      return null;
    }
    // Requests (numbered 0) are not counted: each is answered or its caller hears why not.
    const missing = env.seq === 0 ? 0 : this.gaps.observe(env.from, env.seq);
    if (missing < 0) return null;
    if (missing > 0) this.logLimited('lost', `flow ${this.key}: ${missing} message(s) from ${env.from} lost on the way (${this.gaps.lost} so far)`);
    this.received++;
    if (this.inbox.length >= INBOX_LIMIT) { this.inbox.shift(); this.overflowed++; }
    this.inbox.push(env);
    this.wake();
    return env;
  }

  private logLimited(kind: string, line: string): void {
    const now = performance.now();
    if (now - (this.lastLog.get(kind) ?? -Infinity) < LOG_EVERY_MS) return;
    this.lastLog.set(kind, now);
    this.link.log.warn(line);
  }

  joined(): void {}

  left(peer: InstanceInfo, reason: string): void {
    if (!this.gaps.senders().includes(peer.instance)) return;
    this.gaps.forget(peer.instance);
    this.link.log.warn(`flow ${this.key} from ${peer.instance} ended: ${reason}`);
  }

  disconnected(): void {}
  reconnected(): void {}

  summary(): string {
    return `flow ${this.key} (in): ${this.received} received, ${this.gaps.lost} lost, ${this.malformed} malformed${this.overflowed ? `, ${this.overflowed} overflowed` : ''}`;
  }

  close(): void {
    for (const s of this.subs) s.unsubscribe();
  }
}
