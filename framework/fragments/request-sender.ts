import type { Metadata } from '../metadata.ts';
import type { MessageType, ReplyChannel, ReplyFailure } from '../message-type.ts';
import type { Trace } from '../tracking.ts';
import type { FragmentLink, LinkEndpoint } from './fragment-link.ts';
import type { InstanceInfo } from './presence.ts';
import { encodeEnvelope } from './wire-envelope.ts';

/** Longer than any caller waits (the web server answers 504 first); bounds a request to a frozen instance. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long `gather` waits for every copy. */
export const GATHER_TIMEOUT_MS = 2000;
/** Keys remembered (owners and ended ones), oldest forgotten first. */
const KEYS_KEPT = 10_000;

/** A reply as it crosses: the instance that gave it, and the reply. */
export interface CrossingReply { instance: string; reply: unknown }

/**
 * The sending end of a request/reply flow (a message type with a `reply` channel). A request goes to
 * one copy of the receiving fragment (a NATS queue group), or straight to the copy that claimed its key
 * (the instance that opened a session keeps it), or, when it asks everyone (`gather`), to each copy.
 * Nothing is retried: a queue group never redelivers, and a handler must not run twice by accident.
 */
export class RequestSender implements LinkEndpoint {
  private readonly owners = new Map<string, string>();
  private readonly ended = new Map<string, string>();
  private readonly channel: ReplyChannel<unknown, unknown>;
  private readonly decoder = new TextDecoder();
  requests = 0;
  failures = 0;

  constructor(private readonly link: FragmentLink, readonly key: string, private readonly type: MessageType<unknown>) {
    this.channel = type.reply!;
    link.add(this);
  }

  start(): void { this.link.started(this); }

  send(value: unknown, meta: Metadata, trace: Trace | null): void {
    const ch = this.channel;
    const callback = (value as Record<string, unknown>)[ch.field] as (r: unknown) => void;
    const body = { ...(value as Record<string, unknown>) };
    delete body[ch.field];
    const data = encodeEnvelope(this.type, body, 0, this.link.instance, meta, trace);
    this.requests++;
    const answer = (r: unknown) => { try { callback(r); } catch (e) { this.link.log.warn(`flow ${this.key}: a reply callback threw: ${(e as Error).message}`); } };
    const fail = (f: ReplyFailure) => { this.failures++; answer(ch.failed(f)); };
    if (ch.gather?.(value)) { void this.gather(data, answer, fail); return; }
    const key = ch.key?.(value);
    const owner = key === undefined ? undefined : this.owners.get(key);
    if (key !== undefined && !owner && this.ended.has(key)) { fail({ kind: 'gone', message: this.ended.get(key)! }); return; }
    const subject = owner ? `${this.link.prefix}.req.${this.key}.${owner}` : `${this.link.prefix}.req.${this.key}`;
    this.link.nc.request(subject, data, { timeout: REQUEST_TIMEOUT_MS }).then(
      (m) => {
        const crossed = this.parse(m.data);
        if (!crossed) { fail({ kind: 'unavailable', message: `a malformed reply came back on flow ${this.key}` }); return; }
        const claimed = ch.claims?.(crossed.reply);
        if (claimed !== undefined) this.remember(this.owners, claimed, crossed.instance);
        answer(crossed.reply);
      },
      (e: Error) => {
        const noResponders = e.name === 'NoRespondersError' || (e.cause as Error | undefined)?.name === 'NoRespondersError' || /no responders/i.test(e.message);
        if (noResponders && owner) fail({ kind: 'gone', message: `'${key}' was held by instance ${owner}, which no longer answers` });
        else if (noResponders) fail({ kind: 'unavailable', message: `no instance of the fragment that receives ${this.key} is running` });
        else if (e.name === 'TimeoutError' || /timeout/i.test(e.message)) fail({ kind: 'timeout', message: `no reply on flow ${this.key} within ${REQUEST_TIMEOUT_MS} ms` });
        else fail({ kind: 'unavailable', message: `flow ${this.key}: ${e.message}` });
      },
    );
  }

  private async gather(data: Uint8Array, answer: (r: unknown) => void, fail: (f: ReplyFailure) => void): Promise<void> {
    const peers = this.link.presence.list().filter((p) => p.answers.includes(this.key));
    if (peers.length === 0) { fail({ kind: 'unavailable', message: `no instance of the fragment that receives ${this.key} is running` }); return; }
    const replies = await Promise.all(peers.map((p) =>
      this.link.nc.request(`${this.link.prefix}.req.${this.key}.${p.instance}`, data, { timeout: GATHER_TIMEOUT_MS }).then((m) => this.parse(m.data), () => null)));
    const got = replies.filter((r): r is CrossingReply => r !== null);
    if (got.length === 0) { fail({ kind: 'timeout', message: `none of ${peers.length} instance(s) answered on flow ${this.key}` }); return; }
    answer(this.channel.merge ? this.channel.merge(got) : got[0].reply);
  }

  private parse(data: Uint8Array): CrossingReply | null {
    try {
      const r = JSON.parse(this.decoder.decode(data)) as CrossingReply;
      const checked = this.channel.schema.safeParse(r.reply);
      if (typeof r.instance !== 'string' || !checked.success) return null;
      return { instance: r.instance, reply: checked.data };
    } catch {
      return null;
    }
  }

  private remember(map: Map<string, string>, key: string, value: string): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > KEYS_KEPT) map.delete(map.keys().next().value!);
  }

  joined(): void {}

  /** The keys an instance held end with it, for a reason a caller can read. */
  left(peer: InstanceInfo, reason: string): void {
    const lost = [...this.owners].filter(([, owner]) => owner === peer.instance).map(([key]) => key);
    for (const key of lost) {
      this.owners.delete(key);
      this.remember(this.ended, key, `'${key}' ended: instance ${peer.instance} (fragment ${peer.fragments.join('+')}) left (${reason})`);
    }
    if (lost.length) this.link.log.warn(`flow ${this.key}: ${lost.map((k) => `'${k}'`).join(', ')} ended with instance ${peer.instance} (${reason})`);
  }

  disconnected(): void {}
  reconnected(): void {}
  summary(): string { return `flow ${this.key} (requests out): ${this.requests} sent, ${this.failures} unanswered`; }
  close(): void {}
}
