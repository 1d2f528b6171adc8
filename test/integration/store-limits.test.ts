import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../shared/errors.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';

const pool = new ClientPool();
let gw: TestGateway | undefined;
afterEach(async () => {
  await pool.endAll();
  await gw?.stop();
  gw = undefined;
});

async function offlineSubscriber(url: string, clientId: string, filter: string): Promise<void> {
  const client = await pool.connect(url, { clientId, clean: false });
  await client.subscribeAsync(filter, { qos: 1 });
  await client.endAsync();
}

async function reconnect(url: string, clientId: string, expected: number): Promise<string[]> {
  const client = pool.open(url, { clientId, clean: false });
  const inbox = new Inbox(client);
  await inbox.waitFor(expected);
  await sleep(200);
  return inbox.messages.map((m) => m.payload);
}

describe('bounded queues', () => {
  it('drops the oldest offline messages beyond store.maxQueuedPerClient, and counts them', async () => {
    gw = await startTestGateway({ store: '  maxQueuedPerClient: 5' });
    await offlineSubscriber(gw.url(), 'slow-scada', 'limit/#');
    const pub = await pool.connect(gw.url());
    for (let i = 0; i < 8; i++) await pub.publishAsync('limit/v', `m${i}`, { qos: 1 });
    await sleep(50);
    expect(gw.gateway.store?.persistence.outgoing.count('slow-scada')).toBe(5);
    expect(gw.gateway.store?.persistence.outgoing.stats.droppedPerClientLimit).toBe(3);
    expect(await reconnect(gw.url(), 'slow-scada', 5)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
  });

  it('drops the oldest queued messages, whoever they are for, when the store passes store.maxSizeMB', async () => {
    gw = await startTestGateway({ store: '  maxSizeMB: 1' });
    await offlineSubscriber(gw.url(), 'dead-a', 'big/#');
    await offlineSubscriber(gw.url(), 'dead-b', 'big/#');
    const pub = await pool.connect(gw.url());
    const payload = 'x'.repeat(4096);
    for (let i = 0; i < 200; i++) await pub.publishAsync('big/v', `${i}:${payload}`, { qos: 1 });
    await sleep(50);
    const store = gw.gateway.store!;
    store.persistence.writer.flush();
    // Room is made as the messages are written, not a second later.
    const dropped = store.persistence.outgoing.stats.droppedSizeLimit;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(400);
    expect(store.sizeGuard.usedBytes()).toBeLessThanOrEqual(store.sizeGuard.dataBudgetBytes);
    expect(store.sizeGuard.check()).toBe(0);
    const left = store.persistence.outgoing.count('dead-a') + store.persistence.outgoing.count('dead-b');
    expect(left).toBe(400 - dropped);
    const received = await reconnect(gw.url(), 'dead-a', store.persistence.outgoing.count('dead-a'));
    const numbers = received.map((m) => Number(m.split(':')[0]));
    expect(numbers.at(-1)).toBe(199);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });
});

describe('an unwritable store while running', () => {
  it('keeps serving QoS 0, refuses unacknowledgeable QoS 1 publishes, and recovers when space returns', async () => {
    gw = await startTestGateway();
    await offlineSubscriber(gw.url(), 'historian', 'plant/#');
    const store = gw.gateway.store!;
    const db = store.database;
    store.persistence.writer.flush();
    // A real SQLITE_FULL: the database may not grow by one more page.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);

    const watcher = await pool.connect(gw.url());
    const live = new Inbox(watcher);
    await watcher.subscribeAsync('plant/#', { qos: 0 });
    const pub = await pool.connect(gw.url());
    await pub.publishAsync('plant/qos0', 'still flowing', { qos: 0 });
    const big = 'y'.repeat(64 * 1024);
    const refused = new Promise<void>((resolve) => pub.once('close', () => resolve()));
    pub.publish('plant/qos1', big, { qos: 1 });
    await refused;
    expect(store.persistence.writer.stats.failing).toBe(true);

    const qos0 = await pool.connect(gw.url());
    await qos0.publishAsync('plant/qos0', 'during the fault', { qos: 0 });
    await live.waitFor(2);
    expect(live.messages.filter((m) => m.topic === 'plant/qos0').map((m) => m.payload)).toEqual(['still flowing', 'during the fault']);

    db.pragma('max_page_count = 1073741823');
    const deadline = Date.now() + 5000;
    while (store.persistence.writer.stats.failing && Date.now() < deadline) await sleep(100);
    expect(store.persistence.writer.stats.failing).toBe(false);
    const again = await pool.connect(gw.url());
    await again.publishAsync('plant/qos1', 'after recovery', { qos: 1 });
    // The refused publish was never acknowledged: only what came after recovery is owed.
    const received = await reconnect(gw.url(), 'historian', 1);
    expect(received).toEqual(['after recovery']);
  });
});

describe('a bad database file at start', () => {
  it('refuses to start on a corrupt file with UNS_ERR_STORE_CORRUPT', async () => {
    const attempt = startTestGateway({ files: { 'data/gateway.db': 'this is not an SQLite database, just text. '.repeat(200) } });
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCodes.STORE_CORRUPT,
      message: expect.stringMatching(/gateway\.db is not a valid SQLite database \(file is not a database\); move it aside/),
    });
  });

  it('refuses to start on a read-only file with UNS_ERR_STORE_READONLY', async () => {
    const first = await startTestGateway();
    const file = first.gateway.store!.file;
    await first.gateway.stop();
    execFileSync('chmod', ['0444', file]);
    if (process.getuid?.() === 0) execFileSync('chattr', ['+i', file]);
    try {
      const { loadConfig } = await import('../../src/config/load.ts');
      const { startGateway } = await import('../../src/gateway.ts');
      const { createLogger } = await import('../../src/log.ts');
      const attempt = startGateway(loadConfig(`${first.dir.path}/gateway.yaml`), createLogger('silent'));
      await expect(attempt).rejects.toMatchObject({
        code: ErrorCodes.STORE_READONLY,
        message: expect.stringMatching(/gateway\.db cannot be written \(attempt to write a readonly database\); check the permissions/),
      });
    } finally {
      if (process.getuid?.() === 0) execFileSync('chattr', ['-i', file]);
      writeFileSync(`${first.dir.path}/.done`, '');
      first.dir.remove();
    }
  });
});
