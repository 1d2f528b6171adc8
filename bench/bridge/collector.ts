/**
 * A subscriber's view of the bench's messages (messages.ts): how many arrived, which sequence numbers
 * (duplicates, out of order, missing), when the last arrived (performance.now()), and,
 * for the timed ones, their latency (arrival minus the publisher's stamp; both in this process).
 */
import type { MqttClient } from 'mqtt';
import { sentAtOf, seqOf } from './messages.ts';

export class Collector {
  received = 0;
  duplicates = 0;
  outOfOrder = 0;
  lastAt = Number.NaN;
  /** Latencies (ms) of the messages with sequence numbers in the timed range. */
  readonly latencies: number[] = [];
  private readonly seen: Uint8Array;
  private highest = -1;
  private timedFrom = Number.POSITIVE_INFINITY;
  private timedTo = Number.NEGATIVE_INFINITY;
  private waiter: { count: number; resolve: () => void } | undefined;

  /** `capacity`: sequence numbers 0 … capacity-1 are tracked. */
  constructor(capacity: number) {
    this.seen = new Uint8Array(capacity);
  }

  /** Listens on `client` for messages under bench/. */
  attach(client: MqttClient): void {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  /** Messages with sequence numbers in [from, to) have their latency recorded. */
  time(from: number, to: number): void {
    this.timedFrom = from;
    this.timedTo = to;
  }

  /** How many distinct sequence numbers in [from, to) never arrived. */
  missing(from: number, to: number): number {
    let n = 0;
    for (let seq = from; seq < to; seq++) if (this.seen[seq] !== 1) n++;
    return n;
  }

  /** Resolves once `count` messages arrived, or after `timeoutMs` (then `received` tells). */
  waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.received >= count) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, timeoutMs);
      this.waiter = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith('bench/')) return;
    const now = performance.now();
    const seq = seqOf(payload);
    this.received++;
    this.lastAt = now;
    if (this.seen[seq] === 1) this.duplicates++;
    this.seen[seq] = 1;
    if (seq < this.highest) this.outOfOrder++;
    else this.highest = seq;
    if (seq >= this.timedFrom && seq < this.timedTo) this.latencies.push(now - sentAtOf(payload));
    if (this.waiter !== undefined && this.received >= this.waiter.count) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve();
    }
  }
}
