import type { Logger } from '../log.ts';

/** How often one kind of refusal may be logged; the ones in between are counted and reported with the next. */
const LOG_INTERVAL_MS = 10_000;

interface Kind {
  count: number;
  loggedAt: number;
  unlogged: number;
}

/**
 * What the broker refused on its own (oversized or malformed packets, connections over the limit, clients
 * that never sent CONNECT): counted by code, and logged at most once per interval per code, so that a flood
 * of hostile connections cannot flood the log too.
 */
export class Refusals {
  private readonly kinds = new Map<string, Kind>();

  constructor(private readonly log: Logger) {}

  note(code: string, fields: Record<string, unknown>, message: string, now = Date.now()): void {
    let kind = this.kinds.get(code);
    if (kind === undefined) {
      kind = { count: 0, loggedAt: -Infinity, unlogged: 0 };
      this.kinds.set(code, kind);
    }
    kind.count++;
    if (now - kind.loggedAt < LOG_INTERVAL_MS) {
      kind.unlogged++;
      return;
    }
    const since = kind.unlogged;
    kind.loggedAt = now;
    kind.unlogged = 0;
    this.log.warn({ code, ...fields, total: kind.count, ...(since > 0 ? { notLogged: since } : {}) }, message);
  }

  /** Refusals since the start, by code. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.kinds].map(([code, kind]) => [code, kind.count]));
  }
}
