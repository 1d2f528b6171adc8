import { connect, connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { mosquitto, type MosquittoProcess } from './mosquitto.ts';
import { makeTempDir, type TempDir } from './temp-dir.ts';

export interface Arrival {
  topic: string;
  payload: string;
  retain: boolean;
  /** performance.now() when it arrived. */
  at: number;
}

/**
 * A persistent session on an upstream Mosquitto (run with persistence), made while it is up: what the
 * bridge delivers while the collector is away, from the moment the upstream is back, is queued for it.
 */
export class UpstreamCollector {
  readonly arrivals: Arrival[] = [];
  private client: MqttClient | undefined;
  private readonly clientId = `collector-${Math.random().toString(16).slice(2)}`;

  constructor(
    private readonly broker: MosquittoProcess,
    private readonly filter: string,
  ) {}

  /** Creates the session and its subscription, then leaves it (the upstream keeps it). */
  async register(): Promise<void> {
    const client = await this.open();
    await client.subscribeAsync(this.filter, { qos: 1 });
    await client.endAsync();
  }

  /** Connects to the session again and records every message from now on. */
  async collect(): Promise<void> {
    // The handler goes on before CONNACK: what the session held may come in the same read.
    const client = connect(this.broker.url, this.options());
    client.on('message', (topic, payload, packet) => this.arrivals.push({ topic, payload: payload.toString(), retain: packet.retain, at: performance.now() }));
    this.client = client;
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
    this.client = undefined;
  }

  private open(): Promise<MqttClient> {
    return connectAsync(this.broker.url, this.options());
  }

  private options(): IClientOptions {
    return { clientId: this.clientId, clean: false, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 };
  }
}

/** Payloads read as numbers, with the duplicates and the order they broke. */
export function sequenceReport(payloads: readonly string[]): { unique: number; duplicates: number; outOfOrder: number; values: number[] } {
  const seen = new Set<number>();
  let duplicates = 0;
  let outOfOrder = 0;
  let highest = -Infinity;
  const values: number[] = [];
  for (const payload of payloads) {
    const value = Number(payload);
    if (seen.has(value)) {
      duplicates++;
      continue;
    }
    seen.add(value);
    values.push(value);
    if (value < highest) outOfOrder++;
    highest = Math.max(highest, value);
  }
  return { unique: seen.size, duplicates, outOfOrder, values };
}

export interface DownUpstream {
  dir: TempDir;
  broker: MosquittoProcess;
  collector: UpstreamCollector;
}

/**
 * A Mosquitto with persistence that is down, whose collector session waits for `filter`: start the broker
 * and `collector.collect()` to see what a bridge sends once it is back. `cleanups` gets what to undo.
 */
export async function downUpstream(filter: string, cleanups: Array<() => Promise<void> | void>): Promise<DownUpstream> {
  const dir = makeTempDir();
  cleanups.push(() => dir.remove());
  const broker = await mosquitto({ dir: dir.path, persistence: true });
  cleanups.push(() => broker.kill());
  const collector = new UpstreamCollector(broker, filter);
  cleanups.push(() => collector.close());
  await collector.register();
  await broker.stop();
  return { dir, broker, collector };
}
