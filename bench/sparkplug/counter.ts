/**
 * Two MQTT subscribers on the gateway: bench:modbus's on `bench/#` (the JSON values, QoS 1) and a SCADA
 * host's on `spBv1.0/#` (Sparkplug B, QoS 0). Counts messages, and Sparkplug metrics by decoding each payload.
 * Two connections: with both filters on one, the gateway's JSON values stopped once the DBIRTHs went out.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { decodePayload } from '../../src/sparkplug/codec.ts';

export interface Counts {
  jsonMessages: number;
  sparkplugMessages: number;
  sparkplugMetrics: number;
  byType: Map<string, number>;
}

export class Counter {
  readonly counts: Counts = { jsonMessages: 0, sparkplugMessages: 0, sparkplugMetrics: 0, byType: new Map() };
  /** JSON topics that have had a good value. */
  readonly goodTopics = new Set<string>();
  malformed = 0;

  private constructor(private readonly clients: MqttClient[]) {
    for (const client of clients) client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  static async connect(port: number): Promise<Counter> {
    const connect = (name: string): Promise<MqttClient> =>
      connectAsync(
        `mqtt://127.0.0.1:${port}`,
        { clientId: `bench-sparkplug-${name}-${process.pid}`, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, keepalive: 60 },
        false,
      );
    const [json, host] = await Promise.all([connect('json'), connect('host')]);
    const counter = new Counter([json, host]);
    await Promise.all([json.subscribeAsync('bench/#', { qos: 1 }), host.subscribeAsync('spBv1.0/#', { qos: 0 })]);
    return counter;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.endAsync()));
  }

  /** Drops the connections at once (after a failure). */
  destroy(): void {
    for (const client of this.clients) if (!client.disconnected) client.end(true);
  }

  snapshot(): Counts {
    return { ...this.counts, byType: new Map(this.counts.byType) };
  }

  private onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith('spBv1.0/')) {
      this.counts.jsonMessages++;
      if (payload.includes('"quality":"good"')) this.goodTopics.add(topic);
      return;
    }
    const type = topic.split('/')[2] ?? '';
    this.counts.sparkplugMessages++;
    this.counts.byType.set(type, (this.counts.byType.get(type) ?? 0) + 1);
    try {
      this.counts.sparkplugMetrics += decodePayload(payload).metrics?.length ?? 0;
    } catch {
      this.malformed++;
    }
  }
}
