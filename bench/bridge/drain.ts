/**
 * Figure 2 (and the QoS 1 half of figure 1b). The upstream (upstream.ts) is down while `messages` QoS 1
 * messages are published, `window` in flight, by one MQTT.js client into the bridge: the gateway, or
 * an edge Mosquitto whose `connection` bridge forwards bench/# out at QoS 1. Then the upstream starts;
 * the drain is the time from the upstream logging the bridge's connection to the last message reaching
 * the subscriber on the upstream. Both bridges reconnect about once a second (gateway: reconnect
 * 0.2 … 1 s; Mosquitto: restart_timeout 1, its default being 5 … 30 s), which the drain does not count.
 * Before the gateway's fill, the same client measures the broker's own pace (baseline.ts).
 */
import { mkdirSync } from 'node:fs';
import { connectClient, endClients } from '../shared/mqtt-clients.ts';
import { monotonicNowUs, type MonotonicWindowUs } from '../shared/cpu-profile.ts';
import { brokerPace, type BrokerPace } from './baseline.ts';
import { startBridgeGateway } from './bridge-gateway.ts';
import { Collector } from './collector.ts';
import { Mosquitto } from './mosquitto.ts';
import { HOST } from './options.ts';
import { flood } from './publisher.ts';
import { StatusWatch } from './status-watch.ts';
import { DrainUpstream } from './upstream.ts';

export interface DrainResult {
  messages: number;
  /** Publishing into the bridge, first publish to the last message buffered. */
  fillMs: number;
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  /** Upstream started to the bridge's connection. */
  reconnectMs: number;
  /** Bridge connected to the last message at the subscriber. */
  drainMs: number;
  /** Gateway only: messages the bridge counted as resent. */
  resent?: number;
  /** Gateway only: the same publisher on topics not forwarded (baseline.ts). */
  brokerPace?: BrokerPace;
  /** --profile: the monotonic windows of the fill and of the drain. */
  windows?: { fill: MonotonicWindowUs; drain: MonotonicWindowUs };
}

export interface DrainSetup {
  mosquittoBin: string;
  messages: number;
  window: number;
  /** How long a phase may take before it counts as stuck. */
  timeoutMs: number;
}

const GATEWAY_BRIDGE_ID = 'bench-hq';
const MOSQUITTO_BRIDGE_ID = 'edge-hq';
/** Mosquitto's bridge queue may drop: the drain ends after this long without a message. */
const IDLE_END_MS = 3000;

export async function gatewayDrain(setup: DrainSetup, dir: string, cpuProfDir?: string): Promise<DrainResult> {
  const upstream = await DrainUpstream.prepare(setup.mosquittoBin, GATEWAY_BRIDGE_ID);
  mkdirSync(dir, { recursive: true });
  const gateway = await startBridgeGateway(dir, upstream.port, { cpuProfDir });
  try {
    const status = await StatusWatch.open(gateway.port, 'drain-status');
    const publisher = await connectClient(HOST, gateway.port, 'drain-pub');
    const pace = await brokerPace(publisher, setup.messages, setup.window);
    const fillFrom = monotonicNowUs();
    const fill = await flood(publisher, 0, setup.messages, 1, setup.window);
    const filledAt = await status.until((s) => s.backlog >= setup.messages, setup.timeoutMs, `backlog ${setup.messages}`);
    const fillTo = monotonicNowUs();
    await endClients([publisher], 2000);
    const collector = new Collector(setup.messages);
    await upstream.start(collector);
    await collector.waitFor(setup.messages, setup.timeoutMs);
    const drainTo = monotonicNowUs();
    await status.until((s) => s.backlog === 0, setup.timeoutMs, 'backlog 0 after the drain');
    const resent = status.latest?.resent;
    await status.close();
    return {
      messages: setup.messages,
      fillMs: filledAt - fill.startedAt,
      ...delivery(collector, upstream),
      resent,
      brokerPace: pace,
      windows: { fill: { from: fillFrom, to: fillTo }, drain: { from: upstream.bridgeConnectedMonoUs, to: drainTo } },
    };
  } finally {
    const stopped = await gateway.stop();
    if (stopped.forced) process.stderr.write(`bench/bridge: the drain gateway did not stop on SIGINT\n${gateway.logTail()}\n`);
    await upstream.remove();
  }
}

/**
 * Mosquitto's bridge as the baseline: `globals` go into the edge's config (max_queued_messages …);
 * persistence on, the rest default.
 */
export async function mosquittoDrain(setup: DrainSetup, globals: readonly string[]): Promise<DrainResult> {
  const upstream = await DrainUpstream.prepare(setup.mosquittoBin, MOSQUITTO_BRIDGE_ID);
  const edge = await Mosquitto.create(setup.mosquittoBin, 'edge', {
    persistence: true,
    globals,
    bridge: [
      'connection hq',
      `address ${HOST}:${upstream.port}`,
      `remote_clientid ${MOSQUITTO_BRIDGE_ID}`,
      'topic bench/# out 1',
      'restart_timeout 1',
    ],
  });
  try {
    await edge.start();
    const publisher = await connectClient(HOST, edge.port, 'drain-pub');
    const fill = await flood(publisher, 0, setup.messages, 1, setup.window);
    await endClients([publisher], 2000);
    const collector = new Collector(setup.messages);
    await upstream.start(collector);
    await untilIdle(collector, setup.messages, upstream, setup.timeoutMs);
    return { messages: setup.messages, fillMs: fill.ms, ...delivery(collector, upstream) };
  } finally {
    await edge.remove();
    await upstream.remove();
  }
}

/** Waits for every message, or until none came for IDLE_END_MS after the bridge connected. */
async function untilIdle(collector: Collector, messages: number, upstream: DrainUpstream, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (collector.received < messages && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const since = Number.isNaN(collector.lastAt) ? upstream.bridgeConnectedAt : collector.lastAt;
    if (!Number.isNaN(since) && performance.now() - since > IDLE_END_MS) return;
  }
}

function delivery(collector: Collector, upstream: DrainUpstream): Omit<DrainResult, 'messages' | 'fillMs'> {
  return {
    delivered: collector.received - collector.duplicates,
    duplicates: collector.duplicates,
    outOfOrder: collector.outOfOrder,
    reconnectMs: upstream.bridgeConnectedAt - upstream.upAt,
    drainMs: collector.lastAt - upstream.bridgeConnectedAt,
  };
}
