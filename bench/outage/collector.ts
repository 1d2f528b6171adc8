/**
 * The subscriber on the upstream: a persistent session (clean session false, QoS 1) created while the
 * upstream is up, before the outage; the upstream keeps it (and the messages for it) across its own restart,
 * so that nothing the edge delivers before the collector is connected again is missed.
 */
import mqtt, { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { sleep } from '../shared/wait.ts';

export class Collector {
  /** Sequence numbers in the order they arrived. */
  readonly arrivals: number[] = [];
  /** performance.now() of the first and the last arrival. */
  firstAt: number | undefined;
  lastAt: number | undefined;
  private client: MqttClient | undefined;
  private readonly clientId = `outage-collector-${process.pid}-${Date.now()}`;

  private readonly url: string;

  constructor(
    port: number,
    private readonly topic: string,
  ) {
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  /** Creates the session and its subscription, then leaves. */
  async register(): Promise<void> {
    const client = await this.open();
    await client.subscribeAsync(this.topic, { qos: 1 });
    await client.endAsync();
  }

  /**
   * Resumes the session (trying until the upstream accepts) and records every message. The handler is in
   * place before the CONNACK: what the session held can come in the same read as the CONNACK.
   */
  async collect(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const client = mqtt.connect(this.url, this.options());
      client.on('message', (topic, payload) => this.record(topic, payload));
      try {
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('error', reject);
          client.once('close', () => reject(new Error('connection closed before CONNACK')));
        });
        this.client = client;
        return;
      } catch (err) {
        client.end(true);
        if (Date.now() > deadline) throw new Error(`collector: upstream not reachable within ${timeoutMs} ms: ${String(err)}`);
        await sleep(20);
      }
    }
  }

  /**
   * Resolves once no message arrived for `quietMs` after the first one, or when none arrived within
   * `firstWithinMs` of `since` (a bridge may wait its reconnect backoff out before it tries again).
   */
  async quiet(since: number, quietMs: number, firstWithinMs: number, capMs: number): Promise<void> {
    const cap = since + capMs;
    for (;;) {
      const now = performance.now();
      if (this.lastAt === undefined ? now - since >= firstWithinMs : now - this.lastAt >= quietMs) return;
      if (now > cap) throw new Error(`collector: messages still arriving after ${capMs} ms (${this.arrivals.length} so far)`);
      await sleep(100);
    }
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  private record(topic: string, payload: Buffer): void {
    if (topic !== this.topic) return;
    const now = performance.now();
    this.firstAt ??= now;
    this.lastAt = now;
    this.arrivals.push(Number(payload.toString()));
  }

  private options(): IClientOptions {
    return { clientId: this.clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 };
  }

  private open(): Promise<MqttClient> {
    return connectAsync(this.url, this.options(), false);
  }
}
