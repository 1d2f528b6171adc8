import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { cliGatewayYaml, startListeningGateway } from '../helpers/cli.ts';
import { hasMosquitto, mosquitto } from '../helpers/mosquitto.ts';
import { ClientPool } from '../helpers/mqtt.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';
import { downUpstream, sequenceReport } from '../helpers/upstream-collector.ts';

const TOTAL = 20_000;
const WINDOW = 100;

const pool = new ClientPool();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await pool.endAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const start = (config: string) => startListeningGateway(config, cleanups);

/** Publishes 0..TOTAL-1 at QoS 1 with a bounded window; resolves once every one is acknowledged. */
function publishAll(publisher: MqttClient): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let acked = 0;
    const pump = () => {
      while (next < TOTAL && next - acked < WINDOW) {
        const id = next++;
        publisher.publish('plant/line/press/count', String(id), { qos: 1 }, (error) => {
          if (error) return reject(error);
          acked++;
          if (acked === TOTAL) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

describe.skipIf(!hasMosquitto)('bridge outbox across a SIGKILL (real gateway and Mosquitto processes)', () => {
  it('delivers every acknowledged message upstream, in publish order, after a kill and a restart while the upstream was down', async () => {
    const { dir, broker, collector } = await downUpstream('plant/#', cleanups);

    const config = dir.write(
      'gateway.yaml',
      cliGatewayYaml(
        'edge-1',
        `store:\n  dataDir: ./data\nbridges:\n  - name: hq\n    url: ${broker.url}\n    forward: ['plant/#']\n    send: { maxRate: 0 }\n    reconnect: { minS: 0.1, maxS: 0.5 }\n`,
      ),
    );
    const first = await start(config);
    const publisher = await pool.connect(first.url, { clientId: 'plc-1' });
    await publishAll(publisher);
    first.gateway.child.kill('SIGKILL');
    await first.gateway.exited;
    expect(first.gateway.child.signalCode).toBe('SIGKILL');

    const second = await start(config);
    // What the lazy lane had not committed at the kill is still in the publish journal, and is replayed into the outbox.
    const loaded = await second.gateway.waitForLog('bridge outbox holds messages from before this start');
    const recovered = second.gateway.logs.find((line) => line.msg === 'recovered after an unclean stop');
    expect(Number(loaded.backlog) + Number(recovered?.publishes ?? 0)).toBeGreaterThanOrEqual(TOTAL);
    await broker.start();
    await collector.collect();
    await until(() => new Set(collector.arrivals.map((arrival) => arrival.payload)).size >= TOTAL, 30_000);
    const report = sequenceReport(collector.arrivals.map((arrival) => arrival.payload));
    console.log(`bridge crash test: ${TOTAL} acknowledged, ${String(loaded.backlog)} in the outbox and ${String(recovered?.publishes ?? 0)} in the journal after the kill, ${collector.arrivals.length} arrived upstream, ${report.duplicates} duplicates, ${report.outOfOrder} out of order`);
    expect(report.unique).toBe(TOTAL);
    expect(report.outOfOrder).toBe(0);
    expect(report.values).toEqual(Array.from({ length: TOTAL }, (_, index) => index));
    // Nothing was in flight when the gateway died (the upstream was down): nothing is sent twice.
    expect(report.duplicates).toBe(0);
  }, 90_000);

  it('the upstream sees the gateway go offline through its will when the process dies, and online when it is back', async () => {
    const dir = makeTempDir();
    cleanups.push(() => dir.remove());
    const broker = await mosquitto({ dir: dir.path });
    cleanups.push(() => broker.kill());
    const watcher = await pool.connect(broker.url);
    const presence: string[] = [];
    watcher.on('message', (_topic, payload) => presence.push((JSON.parse(payload.toString()) as { state: string }).state));
    await watcher.subscribeAsync('site/_gateway/edge-2/presence', { qos: 1 });
    const config = dir.write('gateway.yaml', cliGatewayYaml('edge-2', `store:\n  dataDir: ./data\nbridges:\n  - name: hq\n    url: ${broker.url}\n    prefix: site\n`));
    const first = await start(config);
    await until(() => presence.length === 1, 10_000);
    first.gateway.child.kill('SIGKILL');
    await until(() => presence.length === 2, 10_000);
    await start(config);
    await until(() => presence.length === 3, 10_000);
    expect(presence).toEqual(['online', 'offline', 'online']);
  }, 60_000);
});
