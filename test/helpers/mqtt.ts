import { connect, connectAsync, type IClientOptions, type MqttClient, type Packet } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

const BASE_OPTIONS: IClientOptions = { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 };

/** MQTT.js clients opened by a test, so that afterEach can end every one of them. */
export class ClientPool {
  private readonly clients: MqttClient[] = [];

  async connect(url: string, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await connectAsync(url, { ...BASE_OPTIONS, ...options });
    this.clients.push(client);
    return client;
  }

  /** Starts connecting and returns at once, so that listeners can be attached before CONNACK. */
  open(url: string, options: IClientOptions = {}): MqttClient {
    const client = connect(url, { ...BASE_OPTIONS, ...options });
    this.clients.push(client);
    return client;
  }

  async endAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.endAsync(true)));
  }
}

/** Records every message a client receives, in order. */
export class Inbox {
  readonly messages: Received[] = [];
  private waiters: Array<() => void> = [];

  constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain });
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves once `count` messages have arrived; rejects after `timeoutMs` saying what did arrive. */
  async waitFor(count: number, timeoutMs = 5000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`expected ${count} messages, got ${this.messages.length}: ${JSON.stringify(this.messages.slice(0, 5))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.messages;
  }

  topics(): string[] {
    return this.messages.map((m) => m.topic);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The return codes of a SUBACK, in the order of `filters`: MQTT.js rejects a SUBSCRIBE that has any 0x80
 * in it, so the codes are read from the packet itself.
 */
export async function subackCodes(client: MqttClient, filters: Record<string, { qos: 0 | 1 | 2 }>): Promise<number[]> {
  const suback = new Promise<number[]>((resolve) => {
    const onPacket = (packet: Packet) => {
      if (packet.cmd !== 'suback') return;
      client.off('packetreceive', onPacket);
      resolve(packet.granted.map(Number));
    };
    client.on('packetreceive', onPacket);
  });
  await client.subscribeAsync(filters).catch(() => undefined);
  return suback;
}
