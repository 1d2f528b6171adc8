import type { Sample } from './sdk.ts';

/**
 * Samples to the gateway's main thread, one batch at a time: the next batch goes once the main thread
 * has taken the last one. Until then only the latest sample of each tag waits, so a main thread that
 * falls behind sheds intermediate values, never the latest, rather than queueing them without bound.
 */
export class SampleOutbox {
  private inFlight = false;
  private waiting = new Map<string, Sample>();
  /** Intermediate samples replaced by a newer one of the same tag since the last batch. */
  private shed = 0;

  constructor(private readonly send: (samples: Sample[], shed: number) => void) {}

  emit(samples: Sample[]): void {
    if (!this.inFlight) {
      this.inFlight = true;
      this.send(samples, 0);
      return;
    }
    for (const sample of samples) this.hold(sample);
  }

  /** The main thread has taken the last batch. */
  taken(): void {
    this.inFlight = false;
    this.flush();
  }

  /**
   * Sends what waits now, in flight or not: before a write result or a status report, which must not
   * overtake the samples read before them (a write's read-back value comes before its /set/result).
   */
  flush(): void {
    if (this.waiting.size === 0) return;
    const batch = [...this.waiting.values()];
    const shed = this.shed;
    this.waiting = new Map();
    this.shed = 0;
    this.inFlight = true;
    this.send(batch, shed);
  }

  private hold(sample: Sample): void {
    const previous = this.waiting.get(sample.tagId);
    if (previous === undefined) {
      this.waiting.set(sample.tagId, sample);
      return;
    }
    this.shed++;
    // A unit is reported once, with the first reading: it must not go with the sample it came on.
    this.waiting.set(sample.tagId, sample.unit === undefined && previous.unit !== undefined ? { ...sample, unit: previous.unit } : sample);
  }
}
