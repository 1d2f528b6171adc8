/**
 * Counting the changes that arrive, for the gateway's MQTT subscriber and the bare OPC UA client
 * alike. The server writes the tick number as every value, so a value says which change it carries:
 * (item, tick). Each measurement phase owns a range of ticks and counts, for its own changes, the
 * distinct (item, tick) pairs delivered and a histogram of source timestamp → receipt (ms).
 */

/** Latency histogram in whole milliseconds (both clocks are Date.now() on this machine). */
export class MsHistogram {
  private readonly bins: Uint32Array;
  count = 0;
  /** Receipts stamped before their source timestamp (clock granularity), counted as 0 ms. */
  negative = 0;
  max = 0;
  private sum = 0;

  constructor(private readonly limitMs = 120_000) {
    this.bins = new Uint32Array(limitMs + 1);
  }

  add(ms: number): void {
    let v = Math.round(ms);
    if (v < 0) {
      this.negative++;
      v = 0;
    }
    if (v > this.limitMs) v = this.limitMs;
    this.bins[v] = (this.bins[v] ?? 0) + 1;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  mean(): number {
    return this.count > 0 ? this.sum / this.count : Number.NaN;
  }

  /** Nearest-rank percentile (p in 0..100), in ms. NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let ms = 0; ms < this.bins.length; ms++) {
      seen += this.bins[ms] ?? 0;
      if (seen >= rank) return ms;
    }
    return this.limitMs;
  }
}

/** What one phase collects for the changes of its ticks. */
export class PhaseTally {
  /** Distinct (item, tick) changes delivered. */
  delivered = 0;
  /** A change delivered again. */
  duplicates = 0;
  /** A change that arrived after a later change of the same item. */
  outOfOrder = 0;
  readonly latency = new MsHistogram();
  /** Date.now() of the last delivery counted here. */
  lastDelivery = 0;
  /** Closed once its drain is over: later arrivals (a re-enabled item's current value) are not counted. */
  closed = false;
  /**
   * Distinct changes delivered per tick: a tally in another process learns the window's last tick
   * only after more ticks may have arrived, and counts up to it with deliveredUpTo.
   */
  readonly perTick = new Map<number, number>();

  constructor(
    /** First tick of the phase's window (inclusive). */
    public fromTick: number,
    /** Last tick of the window (inclusive); Infinity while the window is open. */
    public toTick: number,
  ) {}

  /** Distinct changes delivered of the ticks ≤ `tick`. */
  deliveredUpTo(tick: number): number {
    let sum = 0;
    for (const [t, n] of this.perTick) if (t <= tick) sum += n;
    return sum;
  }
}

/** Every item's highest tick and the open phases; `good` takes one good value. */
export class ChangeTracker {
  /** Items that have had a good value, to know when every item is reported. */
  readonly goodItems: Uint8Array;
  goodCount = 0;
  /**
   * While set: the age (receipt − source timestamp) of every good value received, whatever its
   * tick, so that a backlog from before a window shows too.
   */
  receiptLatency: MsHistogram | undefined;
  /** Highest tick delivered per item (-1: none yet), for duplicates and order. */
  private readonly lastTick: Float64Array;
  private readonly phases: PhaseTally[] = [];

  constructor(items: number) {
    this.goodItems = new Uint8Array(items);
    this.lastTick = new Float64Array(items).fill(-1);
  }

  /** Starts counting the changes of ticks ≥ fromTick for a new phase. */
  openPhase(fromTick: number): PhaseTally {
    const tally = new PhaseTally(fromTick, Number.POSITIVE_INFINITY);
    this.phases.push(tally);
    return tally;
  }

  /** A good value `tick` of item `index` (0 ≤ index < items), stamped `timestamp` at the source, received at `received`. */
  good(index: number, tick: number, timestamp: number, received: number): void {
    this.receiptLatency?.add(received - timestamp);
    if (this.goodItems[index] === 0) {
      this.goodItems[index] = 1;
      this.goodCount++;
    }
    const last = this.lastTick[index] ?? -1;
    const tally = this.phaseOf(tick);
    if (tick > last) this.lastTick[index] = tick;
    if (tally === undefined) return;
    if (tick === last) {
      tally.duplicates++;
      return;
    }
    if (tick < last) tally.outOfOrder++;
    tally.delivered++;
    tally.perTick.set(tick, (tally.perTick.get(tick) ?? 0) + 1);
    tally.lastDelivery = received;
    tally.latency.add(received - timestamp);
  }

  private phaseOf(tick: number): PhaseTally | undefined {
    for (let i = this.phases.length - 1; i >= 0; i--) {
      const p = this.phases[i];
      if (p !== undefined && !p.closed && tick >= p.fromTick && tick <= p.toTick) return p;
    }
    return undefined;
  }
}
