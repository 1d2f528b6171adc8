import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeOutbox, type DropReason, type OutboxBounds } from '../../src/bridge/outbox.ts';
import { TokenBucket } from '../../src/bridge/token-bucket.ts';
import { createLogger } from '../../src/log.ts';
import { openDatabase, type SqliteDatabase } from '../../src/store/database.ts';
import { SqlitePersistence } from '../../src/store/persistence.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const BOUNDS: OutboxBounds = { maxMessages: 1_000_000, maxBytes: 1e9, maxAgeMs: 3_600_000, mode: 'history' };

let dir: TempDir | undefined;
const opened: SqlitePersistence[] = [];

afterEach(async () => {
  for (const persistence of opened.splice(0)) await persistence.destroy();
  dir?.remove();
  dir = undefined;
});

interface Opened {
  outbox: BridgeOutbox;
  persistence: SqlitePersistence;
  db: SqliteDatabase;
  drops: Array<[DropReason, number]>;
}

/** An outbox on a store file that survives `close` (a restart opens it again). */
function open(bounds: Partial<OutboxBounds> = {}): Opened {
  dir ??= makeTempDir();
  const db = openDatabase(join(dir.path, 'gateway.db'), 'full');
  const persistence = new SqlitePersistence({ db, log: createLogger('silent'), maxQueuedPerClient: 100, ownsDatabase: true });
  opened.push(persistence);
  const drops: Array<[DropReason, number]> = [];
  const outbox = new BridgeOutbox(db, persistence.writer, 'hq', { ...BOUNDS, ...bounds }, (reason, count) => drops.push([reason, count]));
  return { outbox, persistence, db, drops };
}

async function close(store: Opened): Promise<void> {
  opened.splice(opened.indexOf(store.persistence), 1);
  await store.persistence.destroy();
}

const payloads = (entries: ReadonlyArray<{ payload: Buffer }>) => entries.map((entry) => entry.payload.toString());
const append = (outbox: BridgeOutbox, from: number, to: number, topic = (i: number) => `t/${i}`) => {
  for (let i = from; i < to; i++) outbox.append(topic(i), Buffer.from(String(i)), false, 1000 + i);
};
const rows = (db: SqliteDatabase) => (db.prepare("SELECT count(*) AS n FROM bridge_outbox WHERE bridge = 'hq'").get() as { n: number }).n;

describe('bridge outbox', () => {
  it('reads in order from memory and, past its window, from the database (uncommitted appends included)', () => {
    const { outbox } = open();
    append(outbox, 0, 20_000);
    const first = outbox.read(0, 5);
    expect(payloads(first)).toEqual(['0', '1', '2', '3', '4']);
    expect(first.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(payloads(outbox.read(19_995, 10))).toEqual(['19995', '19996', '19997', '19998', '19999']);
    expect(outbox.read(20_000, 10)).toEqual([]);
    expect(outbox.depth).toBe(20_000);
  });

  it('keeps what was not acknowledged across a restart, and numbers on after it', async () => {
    const first = open();
    append(first.outbox, 0, 10);
    first.outbox.acknowledge(4);
    expect(first.outbox.depth).toBe(6);
    await close(first);
    const second = open();
    expect(second.outbox.depth).toBe(6);
    expect(second.outbox.bytes).toBe(6 * 4);
    expect(second.outbox.oldestAt()).toBe(1004);
    expect(payloads(second.outbox.read(0, 100))).toEqual(['4', '5', '6', '7', '8', '9']);
    append(second.outbox, 10, 11);
    expect(second.outbox.read(10, 1)[0]?.seq).toBe(11);
  });

  it('drops the oldest beyond maxMessages, and a drop never deletes a later append (a restart finds exactly what is held)', async () => {
    const store = open({ maxMessages: 3 });
    append(store.outbox, 0, 10);
    expect(store.outbox.depth).toBe(3);
    expect(store.outbox.drops.maxMessages).toBe(7);
    expect(store.drops.reduce((sum, [, count]) => sum + count, 0)).toBe(7);
    store.persistence.writer.flush();
    expect(rows(store.db)).toBe(3);
    await close(store);
    const again = open({ maxMessages: 3 });
    expect(payloads(again.outbox.read(0, 10))).toEqual(['7', '8', '9']);
  });

  it('drops the oldest beyond maxBytes and past maxAgeMs, counting each bound apart', () => {
    const { outbox } = open({ maxBytes: 40, maxAgeMs: 100 });
    append(outbox, 10, 20); // t/1x + 2 bytes = 6 bytes each: 6 fit in 40
    expect(outbox.depth).toBe(6);
    expect(outbox.bytes).toBe(36);
    expect(outbox.drops).toEqual({ maxMessages: 0, maxSizeMB: 4, maxAgeS: 0 });
    outbox.expire(1000 + 16 + 100);
    expect(payloads(outbox.read(0, 10))).toEqual(['16', '17', '18', '19']);
    expect(outbox.drops.maxAgeS).toBe(2);
  });

  it('in latest mode replaces a waiting message in place, but not one already read (in flight): that one is sent again after it', () => {
    const { outbox } = open({ mode: 'latest' });
    append(outbox, 0, 6, (i) => `t/${i % 2}`);
    expect(outbox.depth).toBe(2);
    const inFlight = outbox.read(0, 1);
    expect(payloads(inFlight)).toEqual(['4']);
    outbox.append('t/0', Buffer.from('6'), false);
    outbox.append('t/1', Buffer.from('7'), false);
    expect(payloads(outbox.read(1, 10))).toEqual(['7', '6']);
    outbox.rewind(0);
    expect(payloads(outbox.read(0, 10))).toEqual(['4', '7', '6']);
  });

  it('in latest mode replaces a message read ahead from the database but not handed out yet', () => {
    const { outbox } = open({ mode: 'latest' });
    append(outbox, 0, 10_000);
    expect(payloads(outbox.read(0, 1))).toEqual(['0']);
    outbox.append('t/4', Buffer.from('new'), false);
    expect(payloads(outbox.read(1, 4))).toEqual(['1', '2', '3', 'new']);
    expect(outbox.depth).toBe(10_000);
  });

  it('in latest mode a restart still knows which topics wait', async () => {
    const first = open({ mode: 'latest' });
    append(first.outbox, 0, 4, (i) => `t/${i % 2}`);
    await close(first);
    const second = open({ mode: 'latest' });
    second.outbox.append('t/0', Buffer.from('9'), false);
    expect(second.outbox.depth).toBe(2);
    expect(payloads(second.outbox.read(0, 10))).toEqual(['9', '3']);
  });
});

describe('token bucket', () => {
  it('gives a rate of tokens over time, in bursts of a twentieth of a second', () => {
    let now = 0;
    const bucket = new TokenBucket(1000, () => now);
    expect(bucket.take(500)).toBe(50);
    expect(bucket.take(1)).toBe(0);
    expect(bucket.msUntilNext()).toBe(1);
    let taken = 0;
    for (now = 1; now <= 1000; now++) taken += bucket.take(100);
    expect(taken).toBe(1000);
    now = 1000;
    bucket.refund(5);
    expect(bucket.take(100)).toBe(5);
  });

  it('takes no limit at rate 0', () => {
    expect(new TokenBucket(0).take(1_000_000)).toBe(1_000_000);
  });
});
