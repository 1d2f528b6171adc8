/**
 * Figure 4: live latency at `rate` msg/s. One MQTT.js client publishes, stamping each payload with
 * performance.now(); one subscriber (bench/# at QoS 0) on the upstream Mosquitto, in this same process,
 * takes arrival minus stamp. Four paths, each at publisher QoS 1 and QoS 0: into the gateway, whose
 * bridge (QoS 1, no rate limit) forwards to the upstream; the same run timed by a second subscriber on
 * the gateway itself (the gateway's own publish path, journal included, without the bridge); straight into the
 * upstream (the baseline); into an edge Mosquitto whose `connection` bridge forwards bench/# out at
 * QoS 1 (persistence on, defaults otherwise). `warmupS` of messages first, then `seconds` timed; p50/p99/max of the timed ones.
 */
import { mkdirSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { connectClient, endClients } from '../shared/mqtt-clients.ts';
import { percentile } from '../shared/stats.ts';
import { startBridgeGateway, type BridgeGateway } from './bridge-gateway.ts';
import { Collector } from './collector.ts';
import { FORWARD_FILTER } from './messages.ts';
import { Mosquitto } from './mosquitto.ts';
import { HOST } from './options.ts';
import { paced } from './publisher.ts';
import { StatusWatch } from './status-watch.ts';

export type LatencyPath = 'gateway bridge' | 'gateway local' | 'mosquitto direct' | 'mosquitto bridge';

export interface LatencyResult {
  path: LatencyPath;
  qos: 0 | 1;
  timed: number;
  received: number;
  missing: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LatencySetup {
  mosquittoBin: string;
  rate: number;
  warmupS: number;
  seconds: number;
}

const EDGE_BRIDGE_ID = 'edge-hq';

export async function measureLatency(setup: LatencySetup, dir: string): Promise<LatencyResult[]> {
  const upstream = await Mosquitto.create(setup.mosquittoBin, 'latency-upstream', { logConnects: true });
  let edgeConnected!: () => void;
  const edgeUp = new Promise<void>((resolve) => (edgeConnected = resolve));
  upstream.onLog((line) => {
    if (line.includes(` as ${EDGE_BRIDGE_ID} (`)) edgeConnected();
  });
  const edge = await Mosquitto.create(setup.mosquittoBin, 'latency-edge', {
    persistence: true,
    bridge: ['connection hq', `address ${HOST}:${upstream.port}`, `remote_clientid ${EDGE_BRIDGE_ID}`, 'topic bench/# out 1', 'restart_timeout 1'],
  });
  let gateway: BridgeGateway | undefined;
  const clients: MqttClient[] = [];
  try {
    await upstream.start();
    await edge.start();
    mkdirSync(dir, { recursive: true });
    gateway = await startBridgeGateway(dir, upstream.port);
    const status = await StatusWatch.open(gateway.port, 'latency-status');
    await status.until((s) => s.state === 'connected', 30_000, 'state connected');
    await status.close();
    await withTimeout(edgeUp, 30_000, 'the edge Mosquitto bridge did not connect to the upstream');
    const upstreamSub = await connectClient(HOST, upstream.port, 'latency-sub');
    const localSub = await connectClient(HOST, gateway.port, 'latency-local-sub');
    clients.push(upstreamSub, localSub);
    await upstreamSub.subscribeAsync(FORWARD_FILTER, { qos: 0 });
    await localSub.subscribeAsync(FORWARD_FILTER, { qos: 0 });
    // Where the publisher publishes, and who measures: the gateway's run is timed upstream and locally at once.
    const runs: Array<{ entry: number; taps: Tap[] }> = [
      { entry: gateway.port, taps: [{ path: 'gateway bridge', subscriber: upstreamSub }, { path: 'gateway local', subscriber: localSub }] },
      { entry: upstream.port, taps: [{ path: 'mosquitto direct', subscriber: upstreamSub }] },
      { entry: edge.port, taps: [{ path: 'mosquitto bridge', subscriber: upstreamSub }] },
    ];
    const results: LatencyResult[] = [];
    for (const qos of [1, 0] as const) {
      for (const { entry, taps } of runs) {
        const publisher = await connectClient(HOST, entry, `latency-pub-${qos}`);
        results.push(...(await run(setup, taps, qos, publisher)));
        await endClients([publisher], 2000);
      }
    }
    return results;
  } finally {
    await endClients(clients, 2000);
    await gateway?.stop();
    await edge.remove();
    await upstream.remove();
  }
}

interface Tap {
  path: LatencyPath;
  subscriber: MqttClient;
}

async function run(setup: LatencySetup, taps: readonly Tap[], qos: 0 | 1, publisher: MqttClient): Promise<LatencyResult[]> {
  const warmup = Math.round(setup.rate * setup.warmupS);
  const timed = Math.round(setup.rate * setup.seconds);
  const collectors = taps.map((tap) => {
    const collector = new Collector(warmup + timed);
    collector.time(warmup, warmup + timed);
    const listener = (topic: string, payload: Buffer): void => collector.onMessage(topic, payload);
    tap.subscriber.on('message', listener);
    return { tap, collector, listener };
  });
  try {
    await paced(publisher, 0, setup.rate, setup.warmupS * 1000, qos);
    await paced(publisher, warmup, setup.rate, setup.seconds * 1000, qos);
    for (const { collector } of collectors) await collector.waitFor(warmup + timed, 5000);
  } finally {
    for (const { tap, listener } of collectors) tap.subscriber.off('message', listener);
  }
  return collectors.map(({ tap, collector }) => {
    const l = collector.latencies;
    return {
      path: tap.path,
      qos,
      timed,
      received: l.length,
      missing: collector.missing(warmup, warmup + timed),
      p50: percentile(l, 50),
      p99: percentile(l, 99),
      max: l.length === 0 ? Number.NaN : l.reduce((a, b) => Math.max(a, b), 0),
    };
  });
}

function withTimeout(promise: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
