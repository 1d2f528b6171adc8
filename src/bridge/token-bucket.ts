/**
 * At most `ratePerS` a second, with bursts of a twentieth of a second's worth: measured over any second,
 * what is taken stays within a few percent of the rate. A rate of 0 takes no limit.
 */
export class TokenBucket {
  private tokens: number;
  private readonly capacity: number;
  private last: number;

  constructor(
    private readonly ratePerS: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.capacity = Math.max(1, ratePerS / 20);
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Takes up to `wanted` tokens; returns how many it took. */
  take(wanted: number): number {
    if (this.ratePerS === 0) return wanted;
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerS) / 1000);
    this.last = now;
    const taken = Math.min(wanted, Math.floor(this.tokens));
    this.tokens -= taken;
    return taken;
  }

  /** Gives back tokens taken and not used. */
  refund(count: number): void {
    if (this.ratePerS !== 0) this.tokens = Math.min(this.capacity, this.tokens + count);
  }

  /** Milliseconds until one token is there. */
  msUntilNext(): number {
    return this.ratePerS === 0 ? 0 : Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerS));
  }
}
