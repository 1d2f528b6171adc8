/**
 * Observations counted in fixed buckets: a histogram that costs a short loop per observation and is read
 * whole. The connector workers count their read latency in one and report the counts; the main thread
 * adds them up in another and serves them to Prometheus. It imports nothing, so both sides may import it.
 */
export class Buckets {
  /** counts[i]: observations at most bounds[i] (and above the bound before); the last: above every bound. */
  readonly counts: number[];
  sum = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    let index = 0;
    while (index < this.bounds.length && value > (this.bounds[index] ?? Infinity)) index++;
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.sum += value;
  }

  /** Adds counts made with the same bounds (a worker's report). */
  add(counts: readonly number[], sum: number): void {
    counts.forEach((count, index) => {
      if (index < this.counts.length) this.counts[index] = (this.counts[index] ?? 0) + count;
    });
    this.sum += sum;
  }

  /** Empties the counts. */
  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
  }
}
