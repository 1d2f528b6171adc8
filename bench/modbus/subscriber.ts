/** The MQTT subscriber of bench:modbus: records every value message on bench/# and makes /set round trips. */
import { Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { type Reception } from './latency.ts';

interface WriteOutcome {
  ok: boolean;
  value: unknown;
}

export class Subscriber {
  /** Topics that have had a good value, to know when every tag is being published. */
  readonly goodTopics = new Set<string>();
  readonly receptions = new Map<string, Reception[]>();
  recording = false;
  valueMessages = 0;
  badMessages = 0;
  malformed = 0;
  private readonly pendingWrites = new Map<string, (outcome: WriteOutcome) => void>();

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const received = Date.now();
    if (topic.endsWith('/set')) return; // our own writes, echoed by bench/#
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      this.malformed++;
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) {
      this.malformed++;
      return;
    }
    const body = parsed as Record<string, unknown>;
    if (topic.endsWith('/set/result')) {
      const id = typeof body.id === 'string' ? body.id : undefined;
      const done = id === undefined ? undefined : this.pendingWrites.get(id);
      if (id !== undefined && done) {
        this.pendingWrites.delete(id);
        done({ ok: body.ok === true, value: body.value });
      }
      return;
    }
    const { value, timestamp, quality } = body;
    if (typeof timestamp !== 'number' || typeof quality !== 'string') {
      this.malformed++;
      return;
    }
    if (quality === 'good') this.goodTopics.add(topic);
    if (!this.recording) return;
    this.valueMessages++;
    if (quality !== 'good') {
      this.badMessages++;
      return;
    }
    if (typeof value !== 'number') return;
    const list = this.receptions.get(topic);
    const reception = { value, received, readAt: timestamp };
    if (list) list.push(reception);
    else this.receptions.set(topic, [reception]);
  }

  /** Publishes `{"value", "id"}` to `<topic>/set` and waits for the matching `/set/result`. */
  write(topic: string, value: number, id: string, timeoutMs: number): Promise<WriteOutcome | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingWrites.delete(id);
        resolve('timeout');
      }, timeoutMs);
      this.pendingWrites.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      this.client.publish(`${topic}/set`, JSON.stringify({ value, id }), { qos: 1 });
    });
  }
}

export async function connectSubscriber(port: number, qos: 0 | 1): Promise<Subscriber> {
  const client = await connectAsync(
    `mqtt://127.0.0.1:${port}`,
    { clientId: `bench-modbus-${process.pid}`, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, keepalive: 60 },
    false,
  );
  // Nagle would hold our small /set publishes back while earlier data is unacknowledged.
  if (client.stream instanceof Socket) client.stream.setNoDelay(true);
  const subscriber = new Subscriber(client);
  await client.subscribeAsync('bench/#', { qos });
  return subscriber;
}

