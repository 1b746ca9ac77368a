import type { Msg } from '@nats-io/transport-node';
import type { MessageType } from '../message-type.ts';
import type { FragmentLink } from './fragment-link.ts';
import { FlowReceiver } from './flow-receiver.ts';

/**
 * The receiving end of a request/reply flow: one member of the queue group `<flow>` (NATS gives each
 * request to one member) and reachable directly at `req.<flow>.<instance>` for requests that belong
 * to what this instance holds. The value gets a reply callback that answers the request once.
 */
export class RequestResponder<T = unknown> extends FlowReceiver<T> {
  private readonly encoder2 = new TextEncoder();

  constructor(link: FragmentLink, key: string, type: MessageType<T>, wake: () => void) {
    super(link, key, type, wake);
  }

  override start(): void {
    const subject = `${this.link.prefix}.req.${this.key}`;
    const handle = (err: Error | null, m: Msg) => { if (!err) this.request(m); };
    this.subs.push(this.link.nc.subscribe(subject, { queue: this.key, callback: handle }));
    this.subs.push(this.link.nc.subscribe(`${subject}.${this.link.instance}`, { callback: handle }));
    this.link.started(this);
  }

  /** Requests are not credited: each is answered, and its caller bounds how many wait. */
  override acknowledge(): void {}

  private request(m: Msg): void {
    const field = this.type.reply!.field;
    let answered = false;
    const reply = (r: unknown) => {
      if (answered) return;
      answered = true;
      const data = this.encoder2.encode(JSON.stringify({ instance: this.link.instance, reply: r }));
      try {
        this.link.checkPayload(data.byteLength, `reply on flow ${this.key}`);
      } catch (e) {
        // The caller hears why (a reply that is never sent would leave it waiting for its timeout).
        this.link.log.error((e as Error).message);
        m.respond(this.encoder2.encode(JSON.stringify({ instance: this.link.instance, refused: (e as Error).message })));
        return;
      }
      m.respond(data);
    };
    this.arrived(m, (value) => (typeof value === 'object' && value !== null ? { ...value, [field]: reply } : value));
  }

  override summary(): string {
    return `flow ${this.key} (requests in): ${this.received} answered here, ${this.malformed} malformed`;
  }
}
