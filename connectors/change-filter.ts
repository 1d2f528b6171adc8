import { sameValue, type Sample } from './sdk.ts';

/**
 * Passes a sample only when its value, quality or status differs from the last one passed for its tag,
 * so that a poll that finds nothing new sends nothing to the main thread. Deadbands and heartbeats
 * stay with the gateway's publisher.
 */
export class ChangeFilter {
  private readonly last = new Map<string, Sample>();

  changed(sample: Sample): boolean {
    const previous = this.last.get(sample.tagId);
    if (previous && previous.quality === sample.quality && previous.status === sample.status && sameValue(previous.value, sample.value)) {
      return false;
    }
    this.last.set(sample.tagId, sample);
    return true;
  }
}
