import { afterEach, describe, expect, it } from 'vitest';
import type { BridgeStatus } from '../../src/bridge/bridge-status.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { hasMosquitto, mosquitto, type MosquittoProcess } from '../helpers/mosquitto.ts';
import { ClientPool, Inbox } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';

const pool = new ClientPool();
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  await pool.endAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function upstream(dir: TempDir, options: Partial<Parameters<typeof mosquitto>[0]> = {}): Promise<MosquittoProcess> {
  const broker = await mosquitto({ dir: dir.path, ...options });
  cleanups.push(() => broker.kill());
  return broker;
}

async function gatewayBridgedTo(url: string, bridge: string, dir?: TempDir): Promise<TestGateway> {
  const gateway = await startTestGateway({
    ...(dir ? { dir } : {}),
    extra: `bridges:
  - name: hq
    url: ${url}
    reconnect: { minS: 0.1, maxS: 0.5 }
    statusIntervalS: 0.1
${bridge}`,
  });
  cleanups.push(() => gateway.stop());
  return gateway;
}

/** The bridge's latest status, read from its retained status topic on the gateway. */
async function statusOf(gateway: TestGateway): Promise<() => BridgeStatus | undefined> {
  const client = await pool.connect(gateway.url());
  const inbox = new Inbox(client);
  await client.subscribeAsync('_gateway/test-gw/bridges/hq/status', { qos: 1 });
  return () => {
    const last = inbox.messages.at(-1);
    return last && (JSON.parse(last.payload) as BridgeStatus);
  };
}

describe.skipIf(!hasMosquitto)('bridge to an upstream broker (Mosquitto)', () => {
  it('forwards local messages upstream under the prefix, retain kept, and says online with a retained presence', async () => {
    const dir = makeTempDir();
    cleanups.push(() => dir.remove());
    const broker = await upstream(dir);
    const watcher = await pool.connect(broker.url);
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('acme/#', { qos: 1 });
    const gateway = await gatewayBridgedTo(broker.url, "    prefix: acme/plant-a\n    forward: ['plant/#']");
    await inbox.waitFor(1);
    expect(inbox.messages[0]?.topic).toBe('acme/plant-a/_gateway/test-gw/presence');
    expect(JSON.parse(inbox.messages[0]?.payload ?? '{}')).toMatchObject({ state: 'online' });
    const local = await pool.connect(gateway.url());
    await local.publishAsync('plant/a/b/c', '1', { qos: 1, retain: true });
    await local.publishAsync('plant/a/b/d', '2', { qos: 0 });
    await local.publishAsync('other/x', 'not forwarded', { qos: 1 });
    await inbox.waitFor(3);
    expect(inbox.messages.slice(1).map((m) => [m.topic, m.payload])).toEqual([
      ['acme/plant-a/plant/a/b/c', '1'],
      ['acme/plant-a/plant/a/b/d', '2'],
    ]);
    const late = await pool.connect(broker.url);
    const retained = new Inbox(late);
    await late.subscribeAsync(['acme/plant-a/plant/#', 'acme/plant-a/_gateway/#'], { qos: 1 });
    await retained.waitFor(2);
    expect(retained.messages.map((m) => [m.topic, m.retain]).sort()).toEqual([
      ['acme/plant-a/_gateway/test-gw/presence', true],
      ['acme/plant-a/plant/a/b/c', true],
    ]);
  });

  it('publishes its status retained: connected, backlog, sent', async () => {
    const dir = makeTempDir();
    cleanups.push(() => dir.remove());
    const broker = await upstream(dir);
    const gateway = await gatewayBridgedTo(broker.url, "    forward: ['plant/#']");
    const status = await statusOf(gateway);
    const local = await pool.connect(gateway.url());
    for (let i = 0; i < 10; i++) await local.publishAsync('plant/a/b/c', String(i), { qos: 1 });
    await until(() => status()?.sent === 10 && status()?.backlog === 0, 5000);
    expect(status()).toMatchObject({ state: 'connected', url: broker.url, lastError: null, backlog: 0, dropped: { total: 0 }, resent: 0 });
  });

  it('says offline upstream (retained) on a clean stop, with the reason', async () => {
    const dir = makeTempDir();
    cleanups.push(() => dir.remove());
    const broker = await upstream(dir);
    const watcher = await pool.connect(broker.url);
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('_gateway/test-gw/presence', { qos: 1 });
    const gateway = await startTestGateway({ extra: `bridges:\n  - name: hq\n    url: ${broker.url}\n` });
    await inbox.waitFor(1);
    await gateway.stop();
    await inbox.waitFor(2);
    expect(inbox.messages.map((m) => (JSON.parse(m.payload) as { state: string; reason?: string }))).toMatchObject([
      { state: 'online' },
      { state: 'offline', reason: 'stopped' },
    ]);
  });
});
