import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';

const pool = new ClientPool();
let gw: TestGateway | undefined;
let restarted: Gateway | undefined;
afterEach(async () => {
  await pool.endAll();
  await restarted?.stop();
  restarted = undefined;
  await gw?.stop();
  gw = undefined;
});

const MB = 1024 * 1024;
/** The documented margin: the database file and its WAL stay within store.maxSizeMB plus 5%. */
const MARGIN = 1.05;
const PAYLOAD = 'p'.repeat(8 * 1024);

/** Bytes on disk: the database file and its write-ahead log. */
function footprint(file: string): number {
  const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
  return size(file) + size(`${file}-wal`);
}

async function offlineSubscriber(url: string): Promise<void> {
  const client = await pool.connect(url, { clientId: 'historian', clean: false });
  await client.subscribeAsync('flood/#', { qos: 1 });
  await client.endAsync();
}

/** Publishes `count` numbered 8 KB messages at QoS 1, 64 awaiting their PUBACK at a time. */
async function flood(url: string, count: number): Promise<void> {
  const pub = await pool.connect(url);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await pub.publishAsync('flood/v', `${i}:${PAYLOAD}`, { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: 64 }, lane));
}

/** The message numbers a reconnecting historian receives, in order. */
async function drain(url: string, expected: number): Promise<number[]> {
  const client = pool.open(url, { clientId: 'historian', clean: false });
  const inbox = new Inbox(client);
  await inbox.waitFor(expected, 10_000);
  await sleep(100);
  return inbox.messages.map((m) => Number(m.payload.split(':')[0]));
}

describe('store.maxSizeMB bounds the files on disk (database + WAL)', () => {
  it('stays within the bound through a QoS 1 flood of five times its size to an offline session, dropping the oldest', async () => {
    const boundMB = 2;
    gw = await startTestGateway({ store: `  maxSizeMB: ${boundMB}\n  maxQueuedPerClient: 100000` });
    const store = gw.gateway.store!;
    await offlineSubscriber(gw.url());

    let sampled = footprint(store.file);
    const sampler = setInterval(() => (sampled = Math.max(sampled, footprint(store.file))), 5);
    const sent = Math.ceil((5 * boundMB * MB) / PAYLOAD.length);
    try {
      await flood(gw.url(), sent);
      await sleep(100);
      store.persistence.writer.flush();
    } finally {
      clearInterval(sampler);
    }

    expect(sampled / MB).toBeLessThanOrEqual(boundMB * MARGIN);
    expect(store.sizeGuard.stats.peakBytes / MB).toBeLessThanOrEqual(boundMB * MARGIN);
    expect(footprint(store.file) / MB).toBeLessThanOrEqual(boundMB);
    const queued = store.persistence.outgoing.count('historian');
    const dropped = store.persistence.outgoing.stats.droppedSizeLimit;
    expect(dropped).toBeGreaterThan(sent / 2);
    expect(queued + dropped).toBe(sent);

    const numbers = await drain(gw.url(), queued);
    expect(numbers).toEqual(Array.from({ length: queued }, (_, k) => sent - queued + k));
  });

  it('drops the oldest and compacts the file at start when it is larger than the bound (a lowered limit, an older version)', async () => {
    gw = await startTestGateway({ store: '  maxSizeMB: 50\n  maxQueuedPerClient: 100000' });
    const file = gw.gateway.store!.file;
    await offlineSubscriber(gw.url());
    const sent = 1000;
    await flood(gw.url(), sent);
    await pool.endAll();
    await gw.gateway.stop();
    expect(footprint(file) / MB).toBeGreaterThan(8);

    const config = `${gw.dir.path}/gateway.yaml`;
    writeFileSync(config, readFileSync(config, 'utf8').replace('maxSizeMB: 50', 'maxSizeMB: 2'));
    restarted = await startGateway(loadConfig(config), createLogger('silent'));
    const store = restarted.store!;
    expect(footprint(file) / MB).toBeLessThanOrEqual(2);
    const queued = store.persistence.outgoing.count('historian');
    expect(queued).toBeGreaterThan(100);
    expect(queued + store.persistence.outgoing.stats.droppedSizeLimit).toBe(sent);

    const tcp = restarted.broker.listeners.find((l) => l.protocol === 'tcp')!;
    const numbers = await drain(`mqtt://127.0.0.1:${tcp.port}`, queued);
    expect(numbers).toEqual(Array.from({ length: queued }, (_, k) => sent - queued + k));
  });
});
