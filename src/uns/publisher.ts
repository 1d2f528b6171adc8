import type { Sample, SampleValue } from '../../connectors/sdk.ts';
import type { Broker } from '../broker/broker.ts';
import type { Logger } from '../log.ts';
import { beyondDeadband } from './exception.ts';
import type { NamespaceTag } from './namespace.ts';
import { encodeValuePayload } from './payload.ts';

/** One per tag, kept flat: with 10,000 tags every field counts. */
interface TagState {
  tag: NamespaceTag;
  heartbeatMs: number | undefined;
  /** Last value read with good quality: what a bad sample keeps publishing. */
  lastGood: SampleValue;
  /** The latest sample, kept only for a tag with a heartbeat, which publishes it again. */
  latest: Sample | undefined;
  /** What was published last; `quality` is undefined until the first publish. */
  value: SampleValue;
  quality: Sample['quality'] | undefined;
  status: string | undefined;
  /** When the last value went out; kept only for a tag with a heartbeat. */
  publishedAt: number;
  /** The unit the device reported, for a tag mapped without one. */
  deviceUnit: string | undefined;
}

const HEARTBEAT_CHECK_MS = 1000;

/**
 * Samples → retained value payloads, by exception: a value goes out when it moves beyond its
 * deadband, when its quality or status changes (once, not once per poll), and as a heartbeat.
 */
export class NamespacePublisher {
  private readonly states = new Map<string, TagState>();
  private readonly timer: NodeJS.Timeout | undefined;
  /** Publishes handed to the broker and not finished: bounded, so that a slow broker cannot exhaust memory. */
  private inFlight = 0;
  private readonly waiting = new Map<string, { tag: NamespaceTag; payload: string }>();
  published = 0;
  /** Payloads replaced by a newer one of the same tag while the broker was behind. */
  conflated = 0;

  constructor(
    tags: readonly NamespaceTag[],
    heartbeatS: (tag: NamespaceTag) => number | undefined,
    private readonly broker: Broker,
    private readonly log: Logger,
    private readonly maxInFlight = 2000,
  ) {
    for (const tag of tags) {
      const seconds = heartbeatS(tag);
      this.states.set(tag.id, {
        tag,
        heartbeatMs: seconds === undefined ? undefined : seconds * 1000,
        lastGood: null,
        latest: undefined,
        value: null,
        quality: undefined,
        status: undefined,
        publishedAt: 0,
        deviceUnit: undefined,
      });
    }
    if ([...this.states.values()].some((state) => state.heartbeatMs !== undefined)) {
      this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_CHECK_MS);
      this.timer.unref();
    }
  }

  /**
   * Starts from what the namespace held before a restart (the retained payloads), so that a device
   * still down keeps its last good value, now marked bad, rather than turning null.
   */
  seed(tagId: string, retained: Record<string, unknown>): void {
    const state = this.states.get(tagId);
    if (!state || (retained.quality !== 'good' && retained.quality !== 'uncertain' && retained.quality !== 'bad')) return;
    const value = (retained.value ?? null) as SampleValue;
    // Only the value: the first reading after a start is always published, with a fresh timestamp.
    if (retained.quality === 'good' || value !== null) state.lastGood = value;
  }

  onSamples(samples: readonly Sample[]): void {
    for (const sample of samples) {
      const state = this.states.get(sample.tagId);
      if (state === undefined) {
        this.log.warn({ tagId: sample.tagId }, 'sample for an unknown tag');
        continue;
      }
      if (state.heartbeatMs !== undefined) state.latest = sample;
      if (sample.unit !== undefined) state.deviceUnit = sample.unit;
      if (sample.quality === 'good') state.lastGood = sample.value;
      if (this.changed(state, sample)) this.publish(state, sample, sample.timestamp);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private changed(state: TagState, sample: Sample): boolean {
    if (state.quality !== sample.quality || state.status !== sample.status) return true;
    // An uncertain value is still a value (UncertainLastUsableValue, EU range exceeded): it moves.
    if (sample.quality === 'bad') return false;
    return beyondDeadband(state.value, sample.value, state.tag.config.deadband);
  }

  private heartbeat(): void {
    const now = Date.now();
    for (const state of this.states.values()) {
      if (state.heartbeatMs === undefined || state.latest === undefined) continue;
      if (now - state.publishedAt >= state.heartbeatMs) this.publish(state, state.latest, Math.max(state.latest.timestamp, now));
    }
  }

  private publish(state: TagState, sample: Sample, timestamp: number): void {
    const value = sample.quality === 'good' ? sample.value : (sample.value ?? state.lastGood);
    state.value = value;
    state.quality = sample.quality;
    state.status = sample.status;
    if (state.heartbeatMs !== undefined) state.publishedAt = Date.now();
    const payload = encodeValuePayload({ value, timestamp, quality: sample.quality, status: sample.status, unit: state.tag.unit ?? state.deviceUnit });
    // While anything waits, new values wait behind it: sent at once, a value could overtake an older one of its tag.
    if (this.inFlight >= this.maxInFlight || this.waiting.size > 0) {
      // The broker is behind: keep only the latest payload of each tag until it catches up.
      if (this.waiting.delete(state.tag.topic)) this.conflated++;
      this.waiting.set(state.tag.topic, { tag: state.tag, payload });
      return;
    }
    this.send(state.tag, payload);
  }

  private send(tag: NamespaceTag, payload: string): void {
    this.published++;
    this.inFlight++;
    this.broker.send(tag.topic, payload, { qos: tag.qos, retain: true }, (error) => {
      if (error) this.log.error({ topic: tag.topic, err: error.message }, 'value publish failed');
      this.inFlight--;
      if (this.waiting.size > 0 && this.inFlight <= this.maxInFlight / 2) this.drain();
    });
  }

  /**
   * Sends waiting payloads until the window is full again, in one pass of one iterator: a Map keeps
   * deleted entries until it is rehashed, so an iteration started per completion would scan them again
   * each time (a tenth of the main thread under overload).
   */
  private drain(): void {
    for (const [topic, next] of this.waiting) {
      if (this.inFlight >= this.maxInFlight) return;
      this.waiting.delete(topic);
      this.send(next.tag, next.payload);
    }
  }
}
