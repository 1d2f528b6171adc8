/**
 * The upstream of a drain: Mosquitto, down while the backlog builds, and a subscriber on it that misses
 * nothing however late it connects after the upstream comes back. The subscriber's session is made
 * once beforehand (clean session off, bench/# at QoS 0) and kept in the upstream's persistence file,
 * with queue_qos0_messages and no queue limit, so that what the bridge sends before the subscriber is
 * back waits for it. The upstream logs connections: the line saying the bridge's client connected is
 * the drain's start.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { Socket } from 'node:net';
import { monotonicNowUs } from '../shared/cpu-profile.ts';
import { Collector } from './collector.ts';
import { FORWARD_FILTER } from './messages.ts';
import { Mosquitto } from './mosquitto.ts';
import { HOST } from './options.ts';

const SUBSCRIBER_ID = 'bench-bridge-upstream-sub';

export class DrainUpstream {
  /** performance.now() when the upstream logged the bridge's client connecting. */
  bridgeConnectedAt = Number.NaN;
  /** The same moment on the clock of CPU profiles (monotonicNowUs). */
  bridgeConnectedMonoUs = Number.NaN;
  /** performance.now() when the upstream was started again. */
  upAt = Number.NaN;
  private subscriber: MqttClient | undefined;

  private constructor(
    readonly broker: Mosquitto,
    bridgeClientId: string,
  ) {
    broker.onLog((line) => {
      // "New client connected from … as <id> (…)", or "New bridge connected …" for Mosquitto's bridge.
      if (/ connected from /.test(line) && line.includes(` as ${bridgeClientId} (`)) {
        this.bridgeConnectedAt = performance.now();
        this.bridgeConnectedMonoUs = monotonicNowUs();
      }
    });
  }

  /** Creates the upstream and the subscriber's session on it, and leaves it stopped. */
  static async prepare(bin: string, bridgeClientId: string): Promise<DrainUpstream> {
    const broker = await Mosquitto.create(bin, 'upstream', {
      persistence: true,
      globals: ['max_queued_messages 0', 'queue_qos0_messages true'],
      logConnects: true,
    });
    const upstream = new DrainUpstream(broker, bridgeClientId);
    await broker.start();
    const client = await upstream.connectSubscriber();
    await client.subscribeAsync(FORWARD_FILTER, { qos: 0 });
    await client.endAsync();
    await broker.stop();
    return upstream;
  }

  get port(): number {
    return this.broker.port;
  }

  /** Starts the upstream and reconnects the subscriber, which hands every message to `collector`. */
  async start(collector: Collector): Promise<void> {
    this.upAt = performance.now();
    await this.broker.start();
    this.subscriber = await this.connectSubscriber(collector);
  }

  async remove(): Promise<void> {
    this.subscriber?.end(true);
    this.subscriber = undefined;
    await this.broker.remove();
  }

  private async connectSubscriber(collector?: Collector): Promise<MqttClient> {
    const client = mqtt.connect(`mqtt://${HOST}:${this.broker.port}`, {
      clientId: SUBSCRIBER_ID,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 60,
    });
    // Attached before CONNACK: the queued messages follow it at once.
    collector?.attach(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    if (client.stream instanceof Socket) client.stream.setNoDelay(true);
    return client;
  }
}
