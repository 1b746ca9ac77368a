import type { EndedSession } from '../messages/index.ts';
import { RECEIVE_TUNING } from './tuning.ts';

/** The last sessions that ended and why, for /stats: a session whose worker died says so there. */
export class EndedSessions {
  private readonly items: EndedSession[] = [];

  constructor(private readonly limit = RECEIVE_TUNING.endedSessionsKept) {}

  add(id: string, reason: string, extra: Record<string, unknown> = {}): void {
    this.items.push({ id, reason, endedAt: new Date().toISOString(), ...extra });
    if (this.items.length > this.limit) this.items.shift();
  }

  list(): EndedSession[] { return [...this.items]; }
}
