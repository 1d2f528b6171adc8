import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeStatus } from '../../src/bridge/bridge-status.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { hasMosquitto, mosquitto, type MosquittoProcess } from '../helpers/mosquitto.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';
import { tcpProxy } from '../helpers/tcp-proxy.ts';
import { downUpstream, sequenceReport, type UpstreamCollector } from '../helpers/upstream-collector.ts';

const pool = new ClientPool();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await pool.endAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Bridged {
  gateway: TestGateway;
  status: () => BridgeStatus | undefined;
  publish: (count: number, from?: number, topic?: (index: number) => string) => Promise<void>;
}

interface Outage extends Bridged {
  broker: MosquittoProcess;
  collector: UpstreamCollector;
  /** Starts the upstream again and collects what the bridge delivers. */
  restore: () => Promise<void>;
}

/** A gateway bridged to `url` forwarding `plant/#`, its bridge status, and a local publisher. */
async function bridgedGateway(url: string, bridge: string): Promise<Bridged> {
  const gateway = await startTestGateway({
    extra: `bridges:
  - name: hq
    url: ${url}
    forward: ['plant/#']
    reconnect: { minS: 0.05, maxS: 0.2 }
    statusIntervalS: 0.05
${bridge}`,
  });
  cleanups.push(() => gateway.stop());
  const watcher = await pool.connect(gateway.url());
  const statuses = new Inbox(watcher);
  await watcher.subscribeAsync('_gateway/test-gw/bridges/hq/status', { qos: 1 });
  const local = await pool.connect(gateway.url());
  return {
    gateway,
    status: () => {
      const last = statuses.messages.at(-1);
      return last && (JSON.parse(last.payload) as BridgeStatus);
    },
    async publish(count, from = 0, topic = () => 'plant/a/b/c') {
      for (let i = from; i < from + count; i++) await local.publishAsync(topic(i), String(i), { qos: 1 });
    },
  };
}

/** A gateway bridged to a Mosquitto that is down, with a collector session waiting upstream for `plant/#`. */
async function outage(bridge: string): Promise<Outage> {
  const { broker, collector } = await downUpstream('plant/#', cleanups);
  const bridged = await bridgedGateway(broker.url, bridge);
  return {
    ...bridged,
    broker,
    collector,
    async restore() {
      await broker.start();
      await collector.collect();
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => String(from + index));

describe.skipIf(!hasMosquitto)('bridge store-and-forward against a Mosquitto that goes away', () => {
  it('maxMessages drops the oldest, counts the drops on the status topic, and sends the rest in order', async () => {
    const run = await outage('    send: { maxRate: 0 }\n    outbox: { maxMessages: 100 }');
    await run.publish(150);
    await until(() => run.status()?.dropped.maxMessages === 50 && run.status()?.backlog === 100);
    expect(run.status()).toMatchObject({ state: 'connecting', dropped: { maxMessages: 50, maxSizeMB: 0, maxAgeS: 0, total: 50 } });
    expect(run.status()?.lastError?.code).toBe('UNS_ERR_BRIDGE_UNREACHABLE');
    await run.restore();
    await until(() => run.collector.arrivals.length >= 100, 10_000);
    await sleep(200);
    expect(run.collector.arrivals.map((arrival) => arrival.payload)).toEqual(range(50, 150));
  });

  it('maxSizeMB drops the oldest to stay within its bytes', async () => {
    // 0.002 MB = 2097 bytes; each message is 11 bytes of topic and 3 of payload: 149 fit.
    const run = await outage('    send: { maxRate: 0 }\n    outbox: { maxSizeMB: 0.002 }');
    await run.publish(200, 100);
    await until(() => run.status()?.dropped.maxSizeMB === 51);
    expect(run.status()).toMatchObject({ backlog: 149, backlogBytes: 149 * 14, dropped: { maxMessages: 0, maxSizeMB: 51, total: 51 } });
    await run.restore();
    await until(() => run.collector.arrivals.length >= 149, 10_000);
    expect(run.collector.arrivals.map((arrival) => arrival.payload)).toEqual(range(151, 300));
  });

  it('maxAgeS drops what waited longer, and the newer messages go', async () => {
    const run = await outage('    send: { maxRate: 0 }\n    outbox: { maxAgeS: 1 }');
    await run.publish(10);
    await until(() => run.status()?.backlog === 10);
    expect(run.status()?.oldestAgeS).toBeGreaterThanOrEqual(0);
    await until(() => run.status()?.dropped.maxAgeS === 10, 3000);
    await run.publish(5, 10);
    await run.restore();
    await until(() => run.collector.arrivals.length >= 5, 10_000);
    await sleep(200);
    expect(run.collector.arrivals.map((arrival) => arrival.payload)).toEqual(range(10, 15));
    expect(run.status()?.dropped).toEqual({ maxMessages: 0, maxSizeMB: 0, maxAgeS: 10, total: 10 });
  });

  it('drains the backlog at the configured rate, and a live value published during the drain comes after it', async () => {
    const RATE = 400;
    const BACKLOG = 1600;
    const run = await outage(`    send: { maxRate: ${RATE} }`);
    await run.publish(BACKLOG);
    await until(() => run.status()?.backlog === BACKLOG);
    await run.restore();
    await until(() => run.collector.arrivals.length >= BACKLOG / 4, 10_000);
    await run.publish(1, BACKLOG, () => 'plant/a/b/live');
    await until(() => run.collector.arrivals.length >= BACKLOG + 1, 15_000);
    const payloads = run.collector.arrivals.map((arrival) => arrival.payload);
    expect(payloads).toEqual(range(0, BACKLOG + 1));
    expect(run.collector.arrivals.at(-1)?.topic).toBe('plant/a/b/live');
    // The rate over the middle of the drain (the collector's own queue may deliver the start in a burst).
    const first = run.collector.arrivals[BACKLOG / 2];
    const last = run.collector.arrivals[BACKLOG - 1];
    const rate = (BACKLOG / 2 - 1) / (((last?.at ?? 0) - (first?.at ?? 0)) / 1000);
    expect(rate).toBeGreaterThan(RATE * 0.9);
    expect(rate).toBeLessThan(RATE * 1.1);
  });

  it('mode latest keeps only the newest message per topic while the upstream is away', async () => {
    const run = await outage('    send: { maxRate: 0 }\n    outbox: { mode: latest }');
    await run.publish(30, 0, (index) => `plant/a/b/t${index % 3}`);
    await until(() => run.status()?.backlog === 3);
    await run.restore();
    await until(() => run.collector.arrivals.length >= 3, 10_000);
    await sleep(200);
    expect(run.collector.arrivals.map((arrival) => [arrival.topic, arrival.payload])).toEqual([
      ['plant/a/b/t0', '27'],
      ['plant/a/b/t1', '28'],
      ['plant/a/b/t2', '29'],
    ]);
  });

  it('a link lost mid-drain resends only what was in flight, and every message arrives in order', async () => {
    const dir = makeTempDir();
    cleanups.push(() => dir.remove());
    const broker = await mosquitto({ dir: dir.path });
    cleanups.push(() => broker.kill());
    const link = await tcpProxy(broker.port);
    cleanups.push(() => link.close());
    const watcher = await pool.connect(broker.url);
    const upstream = new Inbox(watcher);
    await watcher.subscribeAsync('plant/#', { qos: 1 });
    link.cut();
    const run = await bridgedGateway(`mqtt://127.0.0.1:${link.port}`, '    send: { maxRate: 1000, inflight: 50 }');
    await run.publish(1500);
    link.restore();
    await until(() => upstream.messages.length >= 400, 10_000);
    link.cut();
    await until(() => run.status()?.state === 'disconnected');
    link.restore();
    await until(() => new Set(upstream.messages.map((m) => m.payload)).size >= 1500, 15_000);
    const report = sequenceReport(upstream.messages.map((m) => m.payload));
    expect(report.values).toEqual(range(0, 1500).map(Number));
    expect(report.outOfOrder).toBe(0);
    await until(() => run.status()?.backlog === 0);
    // Duplicates only from the window in flight at the cut, and the status counts them as resent.
    expect(report.duplicates).toBeLessThanOrEqual(50);
    expect(run.status()?.resent).toBeGreaterThanOrEqual(report.duplicates);
    expect(run.status()?.resent).toBeLessThanOrEqual(50);
  });
});
