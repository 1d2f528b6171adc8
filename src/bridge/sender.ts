import type { MqttClient } from 'mqtt';
import type { BridgeOutbox } from './outbox.ts';
import { TokenBucket } from './token-bucket.ts';

export interface SenderOptions {
  /** Put before every topic upstream ('' for none). */
  prefix: string;
  qos: 0 | 1 | 2;
  /** Messages sent and not yet acknowledged, at most. */
  inflight: number;
  /** Messages a second at most (0: no limit). */
  maxRate: number;
}

export interface SenderCounts {
  /** Messages the upstream acknowledged. */
  sent: number;
  /** Messages sent again on a new connection because the last one dropped before their acknowledgement. */
  resent: number;
}

/** Messages read from the outbox at once. */
const READ_BATCH = 512;

/**
 * Sends an outbox upstream in order: at most `inflight` unacknowledged, at most `maxRate` a second.
 * A message leaves the outbox once it and every one before it were acknowledged. After a drop, the
 * next connection starts again after the last message acknowledged in order, so that what was in flight
 * is sent again (the only duplicates), and nothing is skipped.
 */
export class OutboxSender {
  readonly counts: SenderCounts = { sent: 0, resent: 0 };
  private client: MqttClient | undefined;
  private generation = 0;
  /** The last sequence number handed to the client. */
  private cursor = 0;
  /** The highest sequence number ever handed to a client: what a new connection sends again up to. */
  private highest = 0;
  /** Sequence numbers in flight, in order, from `head`; `acked` holds those acknowledged out of order. */
  private inflight: number[] = [];
  private head = 0;
  private readonly acked = new Set<number>();
  private readonly bucket: TokenBucket;
  private pumpScheduled = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private acknowledgedUpTo = 0;
  private ackScheduled = false;

  constructor(
    private readonly outbox: BridgeOutbox,
    private readonly options: SenderOptions,
  ) {
    this.bucket = new TokenBucket(options.maxRate);
  }

  /** Messages sent and not acknowledged yet. */
  get inFlight(): number {
    return this.inflight.length - this.head;
  }

  /** A connection is up: send from the oldest message waiting. */
  attach(client: MqttClient): void {
    this.generation++;
    this.client = client;
    this.outbox.acknowledge(this.acknowledgedUpTo);
    this.cursor = this.outbox.floor - 1;
    if (this.highest > this.cursor) this.counts.resent += this.highest - this.cursor;
    this.outbox.rewind(this.cursor);
    this.inflight = [];
    this.head = 0;
    this.acked.clear();
    this.wake();
  }

  /** The connection is gone: acknowledgements still on their way are ignored. */
  detach(): void {
    this.generation++;
    this.client = undefined;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  /** Something was appended: send it when the window and the rate allow (once per turn of the event loop). */
  wake(): void {
    if (this.pumpScheduled || this.wakeTimer !== undefined || this.client === undefined) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const client = this.client;
    if (client === undefined) return;
    const generation = this.generation;
    while (this.inFlight < this.options.inflight && this.outbox.hasAfter(this.cursor)) {
      const allowed = this.bucket.take(Math.min(READ_BATCH, this.options.inflight - this.inFlight));
      if (allowed === 0) {
        this.wakeTimer = setTimeout(() => {
          this.wakeTimer = undefined;
          this.pump();
        }, this.bucket.msUntilNext());
        return;
      }
      const entries = this.outbox.read(this.cursor, allowed);
      this.bucket.refund(allowed - entries.length);
      if (entries.length === 0) return;
      for (const entry of entries) {
        const seq = entry.seq;
        this.cursor = seq;
        if (seq > this.highest) this.highest = seq;
        this.inflight.push(seq);
        client.publish(this.options.prefix + entry.topic, entry.payload, { qos: this.options.qos, retain: entry.retain }, (error) => {
          if (generation === this.generation && !error) this.acknowledged(seq);
        });
      }
    }
  }

  private acknowledged(seq: number): void {
    this.counts.sent++;
    this.acked.add(seq);
    while (this.head < this.inflight.length) {
      const first = this.inflight[this.head] ?? 0;
      if (!this.acked.delete(first)) break;
      this.head++;
      this.acknowledgedUpTo = first;
    }
    if (this.head > 4096 && this.head * 2 > this.inflight.length) {
      this.inflight = this.inflight.slice(this.head);
      this.head = 0;
    }
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => {
        this.ackScheduled = false;
        this.outbox.acknowledge(this.acknowledgedUpTo);
        this.wake();
      });
    }
  }
}
