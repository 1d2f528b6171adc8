/**
 * The MQTT side of the OPC UA benchmark: one MQTT.js client subscribed to bench/ua/# at QoS 0.
 * The server writes the tick number as every value, so a message says which change it carries:
 * (item, tick). Each measurement phase owns a range of ticks and counts, for its own changes,
 * the distinct (item, tick) pairs delivered and a histogram of source timestamp → receipt (ms).
 */
import { Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { itemIndex, SUBSCRIPTION } from './config.ts';

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

  constructor(
    /** First tick of the phase's window (inclusive). */
    public fromTick: number,
    /** Last tick of the window (inclusive); Infinity while the window is open. */
    public toTick: number,
  ) {}
}

export class OpcuaSubscriber {
  /** Items that have had a good value, to know when the gateway publishes every tag. */
  readonly goodItems: Uint8Array;
  goodCount = 0;
  /** Value messages received so far (any tick, any quality). */
  valueMessages = 0;
  badMessages = 0;
  malformed = 0;
  otherTopics = 0;
  /**
   * While set: the age (receipt − source timestamp) of every good value received, whatever its
   * tick, so that a backlog from before a window shows too.
   */
  receiptLatency: MsHistogram | undefined;
  /** Date.now() of the last value message. */
  lastMessageAt = 0;
  /** Highest tick delivered per item (-1: none yet), for duplicates and order. */
  private readonly lastTick: Float64Array;
  private readonly phases: PhaseTally[] = [];

  private constructor(
    readonly client: MqttClient,
    items: number,
  ) {
    this.goodItems = new Uint8Array(items);
    this.lastTick = new Float64Array(items).fill(-1);
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  static async connect(port: number, items: number): Promise<OpcuaSubscriber> {
    const client = await connectAsync(
      `mqtt://127.0.0.1:${port}`,
      { clientId: `bench-opcua-${process.pid}`, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, keepalive: 60 },
      false,
    );
    if (client.stream instanceof Socket) client.stream.setNoDelay(true);
    const subscriber = new OpcuaSubscriber(client, items);
    await client.subscribeAsync(SUBSCRIPTION, { qos: 0 });
    return subscriber;
  }

  /** Starts counting the changes of ticks ≥ fromTick for a new phase. */
  openPhase(fromTick: number): PhaseTally {
    const tally = new PhaseTally(fromTick, Number.POSITIVE_INFINITY);
    this.phases.push(tally);
    return tally;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const received = Date.now();
    const index = itemIndex(topic);
    if (index < 0 || index >= this.goodItems.length) {
      this.otherTopics++;
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.malformed++;
      return;
    }
    if (typeof body !== 'object' || body === null) {
      this.malformed++;
      return;
    }
    const { value, timestamp, quality } = body as Record<string, unknown>;
    this.valueMessages++;
    this.lastMessageAt = received;
    if (typeof timestamp !== 'number' || typeof quality !== 'string') {
      this.malformed++;
      return;
    }
    if (quality !== 'good') {
      this.badMessages++;
      return;
    }
    if (typeof value !== 'number') {
      this.malformed++;
      return;
    }
    this.receiptLatency?.add(received - timestamp);
    if (this.goodItems[index] === 0) {
      this.goodItems[index] = 1;
      this.goodCount++;
    }
    const last = this.lastTick[index] ?? -1;
    const tally = this.phaseOf(value);
    if (value > last) this.lastTick[index] = value;
    if (tally === undefined) return;
    if (value === last) {
      tally.duplicates++;
      return;
    }
    if (value < last) tally.outOfOrder++;
    tally.delivered++;
    tally.lastDelivery = received;
    tally.latency.add(received - timestamp);
  }

  private phaseOf(tick: number): PhaseTally | undefined {
    for (let i = this.phases.length - 1; i >= 0; i--) {
      const p = this.phases[i];
      if (p !== undefined && tick >= p.fromTick && tick <= p.toTick) return p;
    }
    return undefined;
  }
}
