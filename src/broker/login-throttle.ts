export interface LoginThrottleOptions {
  /** Failed attempts, since the last success, that an address makes before its answers are delayed. */
  threshold: number;
  /** Delay of the first delayed attempt; each further attempt doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** An address that has made no attempt for this long starts over. */
  quietMs: number;
  /** Addresses tracked at most; beyond, the one least recently seen is forgotten. */
  maxAddresses: number;
}

const DEFAULTS: LoginThrottleOptions = { threshold: 3, baseDelayMs: 250, maxDelayMs: 8000, quietMs: 60_000, maxAddresses: 10_000 };

interface Entry {
  /** Failed attempts since the last success. */
  failures: number;
  /** Attempts admitted and not settled yet. */
  inFlight: number;
  lastSeen: number;
}

/**
 * Slows down password guessing from one remote address: after `threshold` failed attempts, the answer to
 * each further attempt waits, twice as long each time, and the address gets one attempt at a time, so
 * parallel connections gain nothing. Only failures count: the clients of one host (a SCADA server behind
 * one address) reconnecting all at once after a restart are not held up.
 */
export class LoginThrottle {
  private readonly options: LoginThrottleOptions;
  /** In order of last attempt, oldest first. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * An attempt from `address` arrives: how long to wait before checking it, or undefined when it is to
   * be refused unchecked (the address is throttled and an earlier attempt from it is still waiting).
   */
  admit(address: string, now = Date.now()): number | undefined {
    const { threshold, baseDelayMs, maxDelayMs, quietMs, maxAddresses } = this.options;
    let entry = this.entries.get(address);
    if (entry && entry.inFlight === 0 && now - entry.lastSeen > quietMs) entry = undefined;
    entry ??= { failures: 0, inFlight: 0, lastSeen: now };
    const throttled = entry.failures >= threshold;
    if (throttled && entry.inFlight > 0) return undefined;
    const delayMs = throttled ? Math.min(maxDelayMs, baseDelayMs * 2 ** (entry.failures - threshold)) : 0;
    entry.inFlight += 1;
    entry.lastSeen = now;
    this.entries.delete(address);
    this.entries.set(address, entry);
    if (this.entries.size > maxAddresses) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return delayMs;
  }

  /** The attempt admitted from `address` has been answered: a success forgets the failures. */
  settle(address: string, ok: boolean, now = Date.now()): void {
    const entry = this.entries.get(address);
    if (!entry) return;
    entry.inFlight = Math.max(0, entry.inFlight - 1);
    entry.lastSeen = now;
    entry.failures = ok ? 0 : entry.failures + 1;
    if (entry.failures === 0 && entry.inFlight === 0) this.entries.delete(address);
  }
}
