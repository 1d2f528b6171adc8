/**
 * One MQTT subscriber on the gateway, as bench:modbus has one: `bench/#` (the JSON values, QoS 1) and
 * `spBv1.0/#` (Sparkplug B, QoS 0). Counts messages, and Sparkplug metrics by decoding each payload.
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

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  static async connect(port: number): Promise<Counter> {
    const client = await connectAsync(
      `mqtt://127.0.0.1:${port}`,
      { clientId: `bench-sparkplug-${process.pid}`, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, keepalive: 60 },
      false,
    );
    const counter = new Counter(client);
    await client.subscribeAsync('bench/#', { qos: 1 });
    await client.subscribeAsync('spBv1.0/#', { qos: 0 });
    return counter;
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
