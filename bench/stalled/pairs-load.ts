import type { MqttClient } from 'mqtt';
import { performance } from 'node:perf_hooks';
import { connectClient } from '../shared/mqtt-clients.ts';
import type { PairsConfig } from './pairs-protocol.ts';

const ACKED = 1;
const RECEIVED = 2;

interface Slot {
  startedAt: number;
  bits: number;
}

interface Pair {
  pub: MqttClient;
  topic: string;
  next: number;
  /** Round trips in flight, by sequence number. */
  slots: Map<number, Slot>;
}

export interface PairsMeasurement {
  completed: number;
  elapsedMs: number;
  perSecond: number[];
  /** Publish-to-receipt times of deliveries in the measured part, plus the ages of undelivered messages at its end. */
  latenciesMs: number[];
  /** Messages published but not delivered when the measured part ended. */
  undelivered: number;
}

/**
 * QoS 1 round trips on N client pairs: each publisher publishes QoS 1 on its
 * own topic, which only its partner subscribes to (QoS 1). A round trip is
 * complete when the publisher has its PUBACK and the subscriber the message;
 * each pair keeps at most `window` incomplete. The load runs from `start()`
 * until `endMeasure()`; only what happens after `beginMeasure()` is counted.
 */
export class PairsLoad {
  private running = false;
  private measureStart: number | null = null;
  private completed = 0;
  private perSecond: number[] = [];
  private latencies: number[] = [];
  private failure: Error | null = null;

  private constructor(
    private readonly cfg: PairsConfig,
    readonly clients: MqttClient[],
    private readonly pairs: Pair[],
  ) {}

  static async connect(cfg: PairsConfig): Promise<PairsLoad> {
    const clients: MqttClient[] = [];
    const pairs: Pair[] = [];
    const load = new PairsLoad(cfg, clients, pairs);
    try {
      for (let i = 0; i < cfg.pairs; i++) {
        const topic = `${cfg.topicPrefix}/pair${i}`;
        const sub = await connectClient(cfg.host, cfg.port, `pair${i}-sub`);
        clients.push(sub);
        const pub = await connectClient(cfg.host, cfg.port, `pair${i}-pub`);
        clients.push(pub);
        await sub.subscribeAsync(topic, { qos: 1 });
        const pair: Pair = { pub, topic, next: 0, slots: new Map() };
        pairs.push(pair);
        sub.on('message', (_topic, payload) => {
          if (payload.length >= 4) load.mark(pair, payload.readUInt32BE(0), RECEIVED);
        });
        for (const [c, name] of [[sub, `pair${i}-sub`], [pub, `pair${i}-pub`]] as const) {
          c.on('error', (err) => load.fail(new Error(`${name}: ${err.message}`)));
          c.on('close', () => load.fail(new Error(`${name}: connection closed by the broker`)));
        }
      }
    } catch (err) {
      for (const c of clients) c.end(true);
      throw err;
    }
    return load;
  }

  /** Throws the first client error seen so far. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  start(): void {
    this.running = true;
    for (const p of this.pairs) this.pump(p);
  }

  beginMeasure(): void {
    this.measureStart = performance.now();
    this.completed = 0;
    this.latencies = [];
    this.perSecond = Array.from({ length: Math.ceil(this.cfg.durationMs / 1000) }, () => 0);
  }

  /** Stops publishing and returns what was counted since `beginMeasure()`. */
  endMeasure(): PairsMeasurement {
    const end = performance.now();
    const start = this.measureStart ?? end;
    this.running = false;
    this.measureStart = null;
    this.check();
    let undelivered = 0;
    const latenciesMs = this.latencies;
    for (const p of this.pairs) {
      for (const slot of p.slots.values()) {
        if ((slot.bits & RECEIVED) !== 0) continue;
        undelivered++;
        latenciesMs.push(end - slot.startedAt);
      }
    }
    return { completed: this.completed, elapsedMs: end - start, perSecond: this.perSecond, latenciesMs, undelivered };
  }

  private fail(err: Error): void {
    if (this.running) this.failure ??= err;
  }

  private pump(p: Pair): void {
    const size = Math.max(4, this.cfg.payloadBytes);
    while (this.running && p.slots.size < this.cfg.window) {
      const seq = p.next;
      p.next = (p.next + 1) >>> 0;
      const payload = Buffer.alloc(size, 0x61);
      payload.writeUInt32BE(seq, 0);
      p.slots.set(seq, { startedAt: performance.now(), bits: 0 });
      p.pub.publish(p.topic, payload, { qos: 1 }, (err) => {
        if (err) this.fail(err);
        else this.mark(p, seq, ACKED);
      });
    }
  }

  private mark(p: Pair, seq: number, bit: number): void {
    const slot = p.slots.get(seq);
    if (slot === undefined || (slot.bits & bit) !== 0) return; // duplicate delivery
    const now = performance.now();
    const measuring = this.measureStart !== null;
    if (bit === RECEIVED && measuring) this.latencies.push(now - slot.startedAt);
    slot.bits |= bit;
    if (slot.bits !== (ACKED | RECEIVED)) return;
    p.slots.delete(seq);
    if (this.measureStart !== null) {
      this.completed++;
      const second = Math.min(this.perSecond.length - 1, Math.floor((now - this.measureStart) / 1000));
      this.perSecond[second] = (this.perSecond[second] ?? 0) + 1;
    }
    this.pump(p);
  }
}
