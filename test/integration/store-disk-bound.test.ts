import { existsSync, statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';

const pool = new ClientPool();
let gw: TestGateway | undefined;
afterEach(async () => {
  await pool.endAll();
  await gw?.stop();
  gw = undefined;
});

const MB = 1024 * 1024;

/** Bytes on disk: the database file and its write-ahead log. */
function footprint(file: string): number {
  const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);
  return size(file) + size(`${file}-wal`);
}

describe('store.maxSizeMB bounds the files on disk', () => {
  it('keeps db + WAL under the bound through a QoS 1 flood five times its size, dropping the oldest', async () => {
    const boundMB = 2;
    gw = await startTestGateway({ store: `  maxSizeMB: ${boundMB}\n  maxQueuedPerClient: 100000` });
    const store = gw.gateway.store!;
    const historian = await pool.connect(gw.url(), { clientId: 'historian', clean: false });
    await historian.subscribeAsync('flood/#', { qos: 1 });
    await historian.endAsync();

    let peak = footprint(store.file);
    const sampler = setInterval(() => (peak = Math.max(peak, footprint(store.file))), 5);
    const pub = await pool.connect(gw.url());
    const payload = 'p'.repeat(8 * 1024);
    const sent = Math.ceil((5 * boundMB * MB) / payload.length);
    const window = 64;
    let next = 0;
    const lane = async () => {
      while (next < sent) {
        const i = next++;
        await pub.publishAsync('flood/v', `${i}:${payload}`, { qos: 1 });
      }
    };
    await Promise.all(Array.from({ length: window }, lane));
    await sleep(100);
    store.persistence.writer.flush();
    store.sizeGuard.check();
    clearInterval(sampler);
    peak = Math.max(peak, footprint(store.file));

    expect(peak / MB).toBeLessThanOrEqual(boundMB * 1.25);
    expect(footprint(store.file) / MB).toBeLessThanOrEqual(boundMB);
    const queued = store.persistence.outgoing.count('historian');
    const dropped = store.persistence.outgoing.stats.droppedSizeLimit;
    expect(dropped).toBeGreaterThan(sent / 2);
    expect(queued + dropped).toBe(sent);

    const back = pool.open(gw.url(), { clientId: 'historian', clean: false });
    const inbox = new Inbox(back);
    await inbox.waitFor(queued, 10_000);
    await sleep(100);
    const numbers = inbox.messages.map((m) => Number(m.payload.split(':')[0]));
    expect(numbers).toHaveLength(queued);
    expect(numbers).toEqual(Array.from({ length: queued }, (_, k) => sent - queued + k));
  });
});
