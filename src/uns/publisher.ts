import type { Sample, SampleValue } from '../../connectors/sdk.ts';
import type { MessageBus } from './message-bus.ts';
import type { NorthboundConsumer } from '../northbound/northbound.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { beyondDeadband } from './exception.ts';
import type { NamespaceTag } from './namespace.ts';
import { decodeValuePayload, encodeValuePayload, requalify } from './payload.ts';

/** One per tag, kept flat: with 10,000 tags every field counts. */
interface TagState {
  /** The tag id string `states` holds this state by: the tag's id when it was first placed. */
  readonly key: string;
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
  timestamp: number;
  /** The payload retained from before this start, until the first reading replaces it. */
  held: string | undefined;
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
export class NamespacePublisher implements NorthboundConsumer {
  readonly name = 'namespace';
  private readonly states = new Map<string, TagState>();
  private timer: NodeJS.Timeout | undefined;
  /** Publishes handed to the broker and not finished: bounded, so that a slow broker cannot exhaust memory. */
  private inFlight = 0;
  private readonly waiting = new Map<string, { tag: NamespaceTag; payload: string }>();
  private drainScheduled = false;
  /** Resolved once nothing is in flight or waiting. */
  private readonly idle: Array<() => void> = [];
  published = 0;
  /** Payloads replaced by a newer one of the same tag while the broker was behind. */
  conflated = 0;

  constructor(
    tags: readonly NamespaceTag[],
    heartbeatS: (tag: NamespaceTag) => number | undefined,
    private readonly broker: MessageBus,
    private readonly log: Logger,
    private readonly maxInFlight = 2000,
  ) {
    for (const tag of tags) this.states.set(tag.id, freshState(tag, heartbeatS(tag)));
    this.startHeartbeat();
  }

  /**
   * A reload: the tags from now on. A tag whose settings changed keeps what it published (a new deadband
   * applies from the next sample); a tag whose topic moved starts afresh there, from `latest`; a new tag
   * waits for its first reading. Returns the tags that left their topic (removed, or moved), for
   * `retire`.
   */
  retag(tags: readonly NamespaceTag[], heartbeatS: (tag: NamespaceTag) => number | undefined, latest: (tagId: string) => Sample | undefined): NamespaceTag[] {
    const next = new Map(tags.map((tag) => [tag.id, tag]));
    const left: NamespaceTag[] = [];
    for (const [id, state] of this.states) {
      if (next.get(id)?.topic === state.tag.topic) continue;
      this.states.delete(id);
      this.waiting.delete(state.tag.topic);
      left.push(state.tag);
    }
    for (const tag of tags) {
      const seconds = heartbeatS(tag);
      const state = this.states.get(tag.id);
      if (state !== undefined) {
        state.tag = tag;
        state.heartbeatMs = seconds === undefined ? undefined : seconds * 1000;
        continue;
      }
      const fresh = freshState(tag, seconds);
      this.states.set(tag.id, fresh);
      const sample = latest(tag.id);
      if (sample !== undefined) this.onSamples([sample]);
    }
    this.startHeartbeat();
    return left;
  }

  /** A tag's topic after it left it: the retained value cleared, or kept with quality bad and UNS_ERR_TAG_REMOVED. */
  retire(tag: NamespaceTag, mode: 'clear' | 'bad', last: Sample | undefined): void {
    if (mode === 'clear') {
      this.enqueue(tag, '');
      return;
    }
    const timestamp = Date.now();
    this.enqueue(tag, encodeValuePayload({ value: last?.value ?? null, timestamp, quality: 'bad', status: ErrorCodes.TAG_REMOVED, unit: tag.unit ?? last?.unit }));
  }

  /**
   * Starts from what the namespace held before a restart (a retained payload), so that a device still
   * down keeps its last good value, now marked bad, rather than turning null. False when the payload
   * is not a value payload.
   */
  seed(tagId: string, payload: string): boolean {
    const state = this.states.get(tagId);
    const retained = decodeValuePayload(payload);
    if (!state || !retained || (retained.quality !== 'good' && retained.quality !== 'uncertain' && retained.quality !== 'bad')) return false;
    const value = (retained.value ?? null) as SampleValue;
    if (retained.quality === 'good' || value !== null) state.lastGood = value;
    // Held, not published: the first reading after a start is always published, with a fresh timestamp.
    state.held = payload;
    return true;
  }

  /** The string this publisher keys tag `id` by, while it has the tag: samples that carry it are found by reference. */
  knownTagId(id: string): string | undefined {
    return this.states.get(id)?.key;
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
    this.timer = undefined;
  }

  private startHeartbeat(): void {
    if (this.timer !== undefined || ![...this.states.values()].some((state) => state.heartbeatMs !== undefined)) return;
    this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_CHECK_MS);
    this.timer.unref();
  }

  /**
   * At a clean stop, after the connectors: every value held, good or uncertain, is republished as
   * uncertain with UNS_ERR_GATEWAY_STOPPED, keeping its value, timestamp and unit, so that nobody takes
   * it for live while the gateway is down; a bad value stays as it is. Everything goes to the broker at
   * once (the window would hold the stop up); resolves once the broker has routed it all, or after
   * `timeoutMs` (a subscriber that does not read).
   */
  markStopped(timeoutMs: number): Promise<void> {
    const status = ErrorCodes.GATEWAY_STOPPED;
    for (const state of this.states.values()) {
      if (state.held !== undefined) {
        const payload = requalify(state.held, 'uncertain', status, ['good', 'uncertain']);
        if (payload !== undefined && payload !== state.held) this.enqueue(state.tag, payload);
      } else if (state.quality === 'good' || (state.quality === 'uncertain' && state.status !== status)) {
        this.publish(state, { tagId: state.tag.id, value: state.value, quality: 'uncertain', status, timestamp: state.timestamp }, state.timestamp);
      }
    }
    for (const [topic, next] of this.waiting) {
      this.waiting.delete(topic);
      this.send(next.tag, next.payload);
    }
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private changed(state: TagState, sample: Sample): boolean {
    if (state.held !== undefined || state.quality !== sample.quality || state.status !== sample.status) return true;
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
    state.timestamp = timestamp;
    state.held = undefined;
    if (state.heartbeatMs !== undefined) state.publishedAt = Date.now();
    this.enqueue(state.tag, encodeValuePayload({ value, timestamp, quality: sample.quality, status: sample.status, unit: state.tag.unit ?? state.deviceUnit }));
  }

  private enqueue(tag: NamespaceTag, payload: string): void {
    // While anything waits, new values wait behind it: sent at once, a value could overtake an older one of its tag.
    if (this.inFlight >= this.maxInFlight || this.waiting.size > 0) {
      // The broker is behind: keep only the latest payload of each tag until it catches up.
      if (this.waiting.delete(tag.topic)) this.conflated++;
      this.waiting.set(tag.topic, { tag, payload });
      return;
    }
    this.send(tag, payload);
  }

  private send(tag: NamespaceTag, payload: string): void {
    this.published++;
    this.inFlight++;
    this.broker.send(tag.topic, payload, { qos: tag.qos, retain: true }, (error) => {
      if (error) this.log.error({ topic: tag.topic, err: error.message }, 'value publish failed');
      this.inFlight--;
      if (this.waiting.size > 0 && this.inFlight <= this.maxInFlight / 2) this.scheduleDrain();
      if (this.inFlight === 0 && this.waiting.size === 0) for (const wake of this.idle.splice(0)) wake();
    });
  }

  /**
   * The next window goes out on the next turn of the event loop, not in the same one: the broker finishes a
   * publish within microtasks, so the whole backlog (every tag at a start) would otherwise go out in one
   * stretch of the main thread, and no subscriber's socket could drain meanwhile. With 50,000 tags, a
   * QoS 1 subscriber to `#` was then disconnected as too slow.
   */
  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
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

function freshState(tag: NamespaceTag, heartbeatS: number | undefined): TagState {
  return {
    key: tag.id,
    tag,
    heartbeatMs: heartbeatS === undefined ? undefined : heartbeatS * 1000,
    lastGood: null,
    latest: undefined,
    value: null,
    quality: undefined,
    status: undefined,
    timestamp: 0,
    held: undefined,
    publishedAt: 0,
    deviceUnit: undefined,
  };
}
