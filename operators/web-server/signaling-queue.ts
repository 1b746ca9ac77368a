import type { SignalingReply, SignalingRequest } from '../messages/index.ts';

/** A request as the HTTP layer builds it: everything but the `reply` the queue attaches. */
export type SignalingAsk = SignalingRequest extends infer R ? (R extends SignalingRequest ? Omit<R, 'reply'> : never) : never;

/**
 * Bridges HTTP handlers (which await an answer) and the operator's compute (which emits requests on
 * its port). A handler calls `ask()`; the request waits here until compute takes it with `shift()`.
 * Every ask settles exactly once: with the downstream's reply, with a 504 when none comes in time,
 * or with a 503 when the server stops.
 */
export class SignalingQueue {
  /** Not yet handed downstream, oldest first. */
  private readonly toSend: SignalingRequest[] = [];
  /** Every request still waiting for its reply, handed on or not. */
  private readonly unanswered = new Set<SignalingRequest>();
  private closed = false;

  constructor(
    private readonly notify: () => void,
    private readonly timeoutMs: number,
    /** Called when an offer's session arrives after its client got a 504; nobody else would close it. */
    private readonly onOrphanSession: (sessionId: string) => void = () => {},
    /** Said in a 504: what should have answered. */
    private readonly whoAnswers = 'is a WebRTC operator connected to the signaling output?',
  ) {}

  /** True once `close()` ran: the server is stopping. */
  get stopping(): boolean { return this.closed; }

  /** Requests still to hand downstream. */
  get pending(): number { return this.toSend.length; }

  ask(ask: SignalingAsk): Promise<SignalingReply> {
    if (this.closed) return Promise.resolve({ ok: false, status: 503, error: 'the server is stopping' });
    return new Promise<SignalingReply>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const request = {
        ...ask,
        reply: (r: SignalingReply) => {
          if (settled) {
            if (r.ok && r.sessionId && (ask.kind === 'offer' || ask.kind === 'whip-offer' || ask.kind === 'whep-offer')) this.onOrphanSession(r.sessionId);
            return;
          }
          settled = true;
          clearTimeout(timer);
          this.unanswered.delete(request);
          const i = this.toSend.indexOf(request);
          if (i >= 0) this.toSend.splice(i, 1);
          resolve(r);
        },
      } as SignalingRequest;
      timer = setTimeout(() => request.reply({
        ok: false,
        status: 504,
        error: `no answer to '${ask.kind}' within ${this.timeoutMs} ms (${this.whoAnswers})`,
      }), this.timeoutMs);
      this.unanswered.add(request);
      this.toSend.push(request);
      this.notify();
    });
  }

  /** The oldest request not yet handed downstream; it stays answerable until its reply or timeout. */
  shift(): SignalingRequest | undefined {
    return this.toSend.shift();
  }

  /** Answers everything still waiting with 503 and refuses new requests. */
  close(): void {
    this.closed = true;
    for (const r of [...this.unanswered]) r.reply({ ok: false, status: 503, error: 'the server is stopping' });
  }
}
