/**
 * The MQTT side of the OPC UA benchmark: one MQTT.js client subscribed to bench/ua/# at QoS 0,
 * counting the changes it receives with a ChangeTracker (bench/opcua/change-tally.ts).
 */
import { Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { itemIndex, SUBSCRIPTION } from './config.ts';
import { ChangeTracker } from './change-tally.ts';

export class OpcuaSubscriber {
  readonly tracker: ChangeTracker;
  /** Value messages received so far (any tick, any quality). */
  valueMessages = 0;
  badMessages = 0;
  malformed = 0;
  otherTopics = 0;
  /** Date.now() of the last value message. */
  lastMessageAt = 0;

  private constructor(
    readonly client: MqttClient,
    private readonly items: number,
  ) {
    this.tracker = new ChangeTracker(items);
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

  private onMessage(topic: string, payload: Buffer): void {
    const received = Date.now();
    const index = itemIndex(topic);
    if (index < 0 || index >= this.items) {
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
    this.tracker.good(index, value, timestamp, received);
  }
}
