import type { Metadata } from '../metadata.ts';
import type { MessageType } from '../message-type.ts';
import type { Trace } from '../tracking.ts';
import { CreditLedger } from './credit.ts';
import type { FragmentLink, LinkEndpoint } from './fragment-link.ts';
import type { InstanceInfo } from './presence.ts';
import { encodeEnvelope, renumbered } from './wire-envelope.ts';

/** Messages one receiver may have unacknowledged; 2 keeps a 30 fps flow moving through a few ms of latency. */
export const CREDIT_WINDOW = 2;
/** Beyond the server's write_deadline (2 s in our configs): an ack this late will not come. */
export const ACK_TIMEOUT_MS = 3000;

/**
 * The sending end of a data flow that crosses to other processes: sends each message to every
 * instance that receives the flow, as far as that receiver's credit allows. The relay operator only
 * computes while some receiver has credit, so when none has, the messages wait in the local queue,
 * where the flow's own capacity and policy apply (newest wins for video): the sender's memory stays flat.
 */
export class FlowSender implements LinkEndpoint {
  readonly ledger: CreditLedger;
  private timer: NodeJS.Timeout | null = null;
  private sent = 0;

  constructor(
    private readonly link: FragmentLink,
    readonly key: string,
    private readonly type: MessageType<unknown>,
    private readonly wake: () => void,
    window = CREDIT_WINDOW,
  ) {
    this.ledger = new CreditLedger(window, ACK_TIMEOUT_MS);
    link.add(this);
    link.onAck(key, (receiver, seq) => { if (this.ledger.ack(receiver, seq)) this.wake(); });
  }

  start(): void {
    for (const p of this.link.presence.list()) this.joined(p);
    this.timer = setInterval(() => {
      const n = this.ledger.expire(performance.now());
      if (n) { this.link.log.warn(`flow ${this.key}: ${n} message(s) never acknowledged; counted lost`); this.wake(); }
    }, ACK_TIMEOUT_MS / 3);
    this.timer.unref();
    if (this.ledger.anyCredit()) this.wake();
    this.link.started(this);
  }

  get ready(): boolean { return this.ledger.anyCredit(); }

  send(value: unknown, meta: Metadata, trace: Trace | null): void {
    const now = performance.now();
    let encoded: Uint8Array<ArrayBuffer> | null = null;
    for (const receiver of this.ledger.ids()) {
      if (!this.ledger.canSend(receiver)) { this.ledger.skip(receiver); continue; }
      const seq = this.ledger.take(receiver, now);
      let data: Uint8Array<ArrayBuffer>;
      if (!encoded) {
        data = encoded = encodeEnvelope(this.type, value, seq, this.link.instance, meta, trace);
        this.link.checkPayload(data.byteLength, `message on flow ${this.key}`);
      } else {
        data = renumbered(encoded, seq);
      }
      this.link.nc.publish(`${this.link.prefix}.flow.${this.key}.${receiver}`, data);
      this.sent++;
    }
  }

  joined(peer: InstanceInfo): void {
    if (!peer.receives.includes(this.key) || this.ledger.has(peer.instance)) return;
    this.ledger.add(peer.instance);
    this.link.log.info(`flow ${this.key}: sending to ${peer.instance}`);
    this.wake();
  }

  left(peer: InstanceInfo, reason: string): void {
    if (!this.ledger.has(peer.instance)) return;
    this.ledger.remove(peer.instance);
    this.link.log.info(`flow ${this.key}: stopped sending to ${peer.instance} (${reason})`);
  }

  disconnected(): void { this.ledger.suspend(); }

  reconnected(): void {
    const n = this.ledger.resume();
    if (n) this.link.log.warn(`flow ${this.key}: ${n} message(s) on the way when the connection dropped; counted lost`);
    this.wake();
  }

  summary(): string {
    const per = Object.entries(this.ledger.stats()).map(([id, s]) => `${id}: ${s.sent} sent, ${s.skipped} skipped for want of credit`).join('; ');
    return `flow ${this.key} (out): ${this.sent} published, ${this.ledger.lost} lost${per ? ` (${per})` : ''}`;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
