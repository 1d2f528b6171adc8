import { afterEach, describe, expect, it } from 'vitest';
import { gatewaySchema } from '../../schemas/gateway.ts';
import { createLogger } from '../../src/log.ts';
import type { StoredPacket } from '../../src/store/packet-codec.ts';
import { openStore } from '../../src/store/store.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const pool = new ClientPool();
const gateways: TestGateway[] = [];
const dirs: TempDir[] = [];

afterEach(async () => {
  await pool.endAll();
  await Promise.all(gateways.splice(0).map((gw) => gw.stop()));
  for (const dir of dirs.splice(0)) dir.remove();
});

function packet(topic: string, payload: string, fields: Partial<StoredPacket> = {}): StoredPacket {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, ...fields } as StoredPacket;
}

/** Leaves in a data folder what a crash (or an older version) could have left: wills of connected clients, retained messages. */
async function seedStore(dir: TempDir, seed: (store: ReturnType<typeof openStore>) => Promise<void>): Promise<void> {
  const store = openStore(gatewaySchema.parse({}).store, `${dir.path}/data`, createLogger('silent'));
  await seed(store);
  await store.close();
}

async function start(dir: TempDir) {
  const capture = captureLog('warn');
  const gw = await startTestGateway({ dir, log: capture.log });
  gateways.push(gw);
  return { gw, capture };
}

describe('start-up after a crash: what is stored never stops a start', () => {
  it('a stored will with more than 100 topic levels is logged, dropped and counted; every later start succeeds', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const deep = Array.from({ length: 150 }, (_, i) => `l${i}`).join('/');
    await seedStore(dir, async (store) => {
      await store.persistence.putWill({ id: 'deep-will' }, packet(deep, 'gone'));
      await store.persistence.putWill({ id: 'fine-will' }, packet('plant/fine/will', 'gone'));
    });

    const watcherDir = await start(dir);
    const dropped = watcherDir.capture.withCode('UNS_ERR_RECOVERY_DROPPED');
    expect(dropped.map((line) => [line.kind, line.clientId])).toEqual([['will', 'deep-will']]);
    expect(watcherDir.capture.lines.find((line) => line.msg === 'recovered after an unclean stop')).toMatchObject({ wills: 2, dropped: 1 });
    await watcherDir.gw.stop();
    gateways.pop();

    const again = await start(dir);
    expect(again.capture.withCode('UNS_ERR_RECOVERY_DROPPED')).toEqual([]);
    expect(again.gw.gateway.store?.persistence.wills.get('deep-will')).toBeUndefined();
  });

  it('retained messages on invalid topics ("", "a/#", "a/+/b", NUL) are deleted at start and never reach a "#" subscriber', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    const invalid = ['', 'a/#', 'a/+/b', 'nul\u0000topic'];
    await seedStore(dir, async (store) => {
      for (const topic of [...invalid, 'plant/valid']) store.persistence.retained.store(packet(topic, 'x', { retain: true }), true);
    });

    const { gw, capture } = await start(dir);
    expect(capture.withCode('UNS_ERR_RECOVERY_DROPPED').map((line) => line.topic)).toEqual(invalid);
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('#', { qos: 1 });
    await inbox.waitFor(1);
    await sleep(200);
    expect(inbox.topics().filter((topic) => !topic.startsWith('_gateway/'))).toEqual(['plant/valid']);
    await gw.stop();
    gateways.pop();

    await seedStore(dir, async (store) => {
      expect(invalid.map((topic) => store.persistence.retained.get(topic))).toEqual(invalid.map(() => undefined));
      expect(store.persistence.retained.get('plant/valid')?.payload.toString()).toBe('x');
    });
  });

  it('a stored retained will on "a/#" is dropped, not published as a retained message', async () => {
    const dir = makeTempDir();
    dirs.push(dir);
    await seedStore(dir, async (store) => {
      await store.persistence.putWill({ id: 'wild-will' }, packet('a/#', 'poison', { retain: true }));
    });
    const { gw, capture } = await start(dir);
    expect(capture.withCode('UNS_ERR_RECOVERY_DROPPED').map((line) => [line.kind, line.topic])).toEqual([['will', 'a/#']]);
    expect(gw.gateway.store?.persistence.retained.get('a/#')).toBeUndefined();
  });
});
