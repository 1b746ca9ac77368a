import type { Msg } from '@nats-io/transport-node';
import type { Metadata } from '../metadata.ts';
import type { MessageType, ReplyChannel, ReplyFailure } from '../message-type.ts';
import type { Trace } from '../tracking.ts';
import type { FragmentLink, LinkEndpoint } from './fragment-link.ts';
import { isNoResponders, type InstanceInfo } from './presence.ts';
import { encodeEnvelope } from './wire-envelope.ts';

/** Longer than any caller waits (the web server answers 504 first); bounds a request to a frozen instance. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** How long `gather` waits for every copy (under the web server's own 10 s reply timeout). */
export const GATHER_TIMEOUT_MS = 8000;
/** A request to one instance unanswered this long makes presence ask whether that instance still exists. */
const SLOW_REPLY_MS = 1000;
/** Keys remembered (owners and ended ones), oldest forgotten first. */
const KEYS_KEPT = 10_000;

/** The instance a request went to was declared gone before it answered. */
class InstanceGone extends Error {}

/** A reply as it crosses: the instance that gave it, and the reply. */
export interface CrossingReply { instance: string; reply: unknown }

/**
 * The sending end of a request/reply flow (a message type with a `reply` channel). A request goes to
 * the copy of the receiving fragment that claimed its key (the instance that opened a session keeps
 * it); new work goes to the copy holding the fewest keys, or to the NATS queue group (any one member)
 * while none is known yet; a request that asks everyone (`gather`) goes to each copy.
 * Nothing is retried: a queue group never redelivers, and a handler must not run twice by accident.
 */
export class RequestSender implements LinkEndpoint {
  private readonly owners = new Map<string, string>();
  /** Keys whose instance left, with the reason and the instance (which may come back: a false alarm). */
  private readonly ended = new Map<string, { instance: string; reason: string }>();
  private readonly channel: ReplyChannel<unknown, unknown>;
  private readonly decoder = new TextDecoder();
  /** Requests waiting on each instance, ended at once when it is declared gone. */
  private readonly pending = new Map<string, Set<(reason: string) => void>>();
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
    try {
      this.link.checkPayload(data.byteLength, `request on flow ${this.key}`);
    } catch (e) {
      this.link.log.error((e as Error).message);
      fail({ kind: 'unavailable', message: (e as Error).message });
      return;
    }
    if (ch.gather?.(value)) { void this.gather(data, answer, fail); return; }
    const key = ch.key?.(value);
    const owner = key === undefined ? undefined : this.owners.get(key);
    if (key !== undefined && !owner && this.ended.has(key)) { fail({ kind: 'gone', message: this.ended.get(key)!.reason }); return; }
    // A new piece of work goes to the copy holding the fewest keys; the queue group is the fallback.
    const target = owner ?? (key === undefined ? this.leastLoaded() : undefined);
    const release = key !== undefined && ch.releases?.(value) === true;
    this.request(data, target, owner !== undefined, key, (r) => { if (release) this.owners.delete(key); answer(r); }, fail);
  }

  private request(data: Uint8Array, target: string | undefined, owned: boolean, key: string | undefined, answer: (r: unknown) => void, fail: (f: ReplyFailure) => void): void {
    const sent = target ? this.ask(target, data, REQUEST_TIMEOUT_MS) : this.link.nc.request(`${this.link.prefix}.req.${this.key}`, data, { timeout: REQUEST_TIMEOUT_MS });
    sent.then(
      (m) => {
        const crossed = this.parse(m.data);
        if (crossed instanceof Error) { fail({ kind: 'unavailable', message: crossed.message }); return; }
        const claimed = this.channel.claims?.(crossed.reply);
        if (claimed !== undefined) this.remember(this.owners, claimed, crossed.instance);
        answer(crossed.reply);
      },
      (e: Error) => {
        const noResponders = isNoResponders(e);
        const gone = e instanceof InstanceGone;
        // New work whose instance is gone goes to another copy: nobody received it, or whoever did is dead.
        if ((noResponders || gone) && target && !owned) { this.request(data, undefined, false, key, answer, fail); return; }
        if (gone && owned) fail({ kind: 'gone', message: `'${key}' was held by instance ${target}, which left before answering (${e.message})` });
        else if (noResponders && owned) fail({ kind: 'gone', message: `'${key}' was held by instance ${target}, which no longer answers` });
        else if (noResponders) fail({ kind: 'unavailable', message: `no instance of the fragment that receives ${this.key} is running` });
        else if (e.name === 'TimeoutError' || /timeout/i.test(e.message)) fail({ kind: 'timeout', message: `no reply on flow ${this.key} within ${REQUEST_TIMEOUT_MS} ms` });
        else fail({ kind: 'unavailable', message: `flow ${this.key}: ${e.message}` });
      },
    );
  }

  /**
   * A request to one instance's own subject. It ends as soon as that instance is declared gone, so a
   * caller never waits out the timeout on a dead one; "no responders", or no reply within
   * `SLOW_REPLY_MS`, makes presence ask at once whether the instance still exists.
   */
  private ask(instance: string, data: Uint8Array, timeoutMs: number): Promise<Msg> {
    return new Promise<Msg>((resolve, reject) => {
      const waiting = this.pending.get(instance) ?? new Set();
      this.pending.set(instance, waiting);
      const gone = (reason: string) => reject(new InstanceGone(reason));
      waiting.add(gone);
      const slow = setTimeout(() => this.link.presence.check(instance, `no reply on flow ${this.key} within ${SLOW_REPLY_MS} ms`), SLOW_REPLY_MS);
      this.link.nc.request(`${this.link.prefix}.req.${this.key}.${instance}`, data, { timeout: timeoutMs }).then(resolve, (e: unknown) => {
        if (isNoResponders(e)) this.link.presence.check(instance, `a request on flow ${this.key} found no subscriber`);
        reject(e as Error);
      }).finally(() => {
        clearTimeout(slow);
        waiting.delete(gone);
        if (waiting.size === 0 && this.pending.get(instance) === waiting) this.pending.delete(instance);
      });
    });
  }

  private turn = 0;
  private leastLoaded(): string | undefined {
    const peers = this.link.presence.list().filter((p) => p.answers.includes(this.key)).map((p) => p.instance);
    if (peers.length === 0) return undefined;
    const load = new Map(peers.map((p) => [p, 0]));
    for (const owner of this.owners.values()) if (load.has(owner)) load.set(owner, load.get(owner)! + 1);
    const fewest = Math.min(...load.values());
    const candidates = peers.filter((p) => load.get(p) === fewest);
    return candidates[this.turn++ % candidates.length];
  }

  private async gather(data: Uint8Array, answer: (r: unknown) => void, fail: (f: ReplyFailure) => void): Promise<void> {
    const peers = this.link.presence.list().filter((p) => p.answers.includes(this.key));
    if (peers.length === 0) { fail({ kind: 'unavailable', message: `no instance of the fragment that receives ${this.key} is running` }); return; }
    const replies = await Promise.all(peers.map((p) =>
      this.ask(p.instance, data, GATHER_TIMEOUT_MS).then((m) => { const r = this.parse(m.data); return r instanceof Error ? null : r; }, (e: Error) => {
        this.link.log.warn(`flow ${this.key}: instance ${p.instance} did not answer (${e.message})`);
        return null;
      })));
    const got = replies.filter((r): r is CrossingReply => r !== null);
    if (got.length === 0) { fail({ kind: 'timeout', message: `none of ${peers.length} instance(s) answered on flow ${this.key}` }); return; }
    answer(this.channel.merge ? this.channel.merge(got) : got[0].reply);
  }

  /** The reply, or why there is none (logged): not JSON, refused by its sender, or not what the channel's schema says. */
  private parse(data: Uint8Array): CrossingReply | Error {
    let r: CrossingReply & { refused?: unknown };
    try {
      r = JSON.parse(this.decoder.decode(data)) as CrossingReply;
    } catch (e) {
      return this.failed(`a reply that is not JSON came back on flow ${this.key} (${(e as Error).message})`);
    }
    if (typeof r?.instance === 'string' && typeof r.refused === 'string') return this.failed(`instance ${r.instance} could not send its reply on flow ${this.key}: ${r.refused}`);
    const checked = this.channel.schema.safeParse(r?.reply);
    if (typeof r?.instance !== 'string' || !checked.success) {
      return this.failed(`a malformed reply came back on flow ${this.key} from ${String(r?.instance)}: ${checked.error?.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') ?? 'no instance'}`);
    }
    return { instance: r.instance, reply: checked.data };
  }

  private failed(message: string): Error {
    this.link.log.warn(message);
    return new Error(message);
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > KEYS_KEPT) map.delete(map.keys().next().value!);
  }

  /** An instance declared gone that speaks again was only slow (a starved machine): its keys are its own again. */
  joined(peer: InstanceInfo): void {
    const back = [...this.ended].filter(([, e]) => e.instance === peer.instance).map(([key]) => key);
    for (const key of back) { this.ended.delete(key); this.remember(this.owners, key, peer.instance); }
    if (back.length) this.link.log.info(`flow ${this.key}: instance ${peer.instance} is back; it holds ${back.map((k) => `'${k}'`).join(', ')} again`);
  }

  /** The keys an instance held end with it, for a reason a caller can read; requests waiting on it end now. */
  left(peer: InstanceInfo, reason: string): void {
    for (const end of this.pending.get(peer.instance) ?? []) end(reason);
    const lost = [...this.owners].filter(([, owner]) => owner === peer.instance).map(([key]) => key);
    for (const key of lost) {
      this.owners.delete(key);
      this.remember(this.ended, key, { instance: peer.instance, reason: `'${key}' ended: instance ${peer.instance} (fragment ${peer.fragments.join('+')}) left (${reason})` });
    }
    if (lost.length) this.link.log.warn(`flow ${this.key}: ${lost.map((k) => `'${k}'`).join(', ')} ended with instance ${peer.instance} (${reason})`);
  }

  disconnected(): void {}
  reconnected(): void {}
  summary(): string { return `flow ${this.key} (requests out): ${this.requests} sent, ${this.failures} unanswered`; }
  close(): void {}
}
