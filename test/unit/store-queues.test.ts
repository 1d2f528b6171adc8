import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { createLogger } from '../../src/log.ts';
import type { StoredPacket } from '../../src/store/packet-codec.ts';
import { SqlitePersistence } from '../../src/store/persistence.ts';

let persistence: SqlitePersistence | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await persistence?.destroy();
  persistence = undefined;
});

const open = () => {
  persistence = new SqlitePersistence({ db: openDatabase(':memory:', 'full'), log: createLogger('silent'), maxQueuedPerClient: 100, ownsDatabase: true });
  return persistence;
};
const publish = (counter: number): StoredPacket => ({ cmd: 'publish', topic: 't', payload: Buffer.from(`m${counter}`), qos: 2, retain: false, dup: false, brokerId: 'b', brokerCounter: counter });
const client = { id: 'sub' };

async function queued(p: SqlitePersistence): Promise<string[]> {
  const out: string[] = [];
  for await (const packet of p.outgoingStream(client)) out.push(`${(packet as StoredPacket).cmd}:${String((packet as StoredPacket).messageId)}`);
  return out;
}

describe('outgoing QoS 2 queue', () => {
  it.each([false, true])('replaces each PUBLISH by its own PUBREL, and PUBCOMP clears it (written to disk first: %s)', async (written) => {
    const p = open();
    await p.outgoingEnqueueCombi([{ clientId: 'sub' }], publish(1));
    await p.outgoingEnqueueCombi([{ clientId: 'sub' }], publish(2));
    await p.outgoingUpdate(client, { ...publish(1), messageId: 11 });
    await p.outgoingUpdate(client, { ...publish(2), messageId: 12 });
    if (written) p.writer.flush();
    await p.outgoingUpdate(client, { cmd: 'pubrel', messageId: 11 } as StoredPacket);
    await p.outgoingUpdate(client, { cmd: 'pubrel', messageId: 12 } as StoredPacket);
    expect(await queued(p)).toEqual(['pubrel:11', 'pubrel:12']);
    expect((await p.outgoingClearMessageId(client, { messageId: 11 } as StoredPacket))?.cmd).toBe('pubrel');
    expect(await queued(p)).toEqual(['pubrel:12']);
    expect((await p.outgoingClearMessageId(client, { messageId: 12 } as StoredPacket))?.cmd).toBe('pubrel');
    expect(await queued(p)).toEqual([]);
  });

  it('writes a PUBREL for a message that was on disk already, so a restart owes a PUBREL, not the PUBLISH', async () => {
    const p = open();
    await p.outgoingEnqueueCombi([{ clientId: 'sub' }], publish(1));
    await p.outgoingUpdate(client, { ...publish(1), messageId: 11 });
    p.writer.flush();
    await p.outgoingUpdate(client, { cmd: 'pubrel', messageId: 11 } as StoredPacket);
    p.writer.flush();
    const row = p.writer['db'].prepare('SELECT meta FROM outgoing').get() as { meta: string };
    expect(JSON.parse(row.meta)).toMatchObject({ cmd: 'pubrel', messageId: 11 });
  });
});

describe('queued QoS [MQTT-3.8.4-6]', () => {
  const sessions = ['q1', 'q2', 'both', 'bare'];
  /** Each session's queue as `<session>:<QoS>`. */
  async function queuedAt(p: SqlitePersistence): Promise<string[]> {
    const out: string[] = [];
    for (const id of sessions) for await (const packet of p.outgoingStream({ id })) out.push(`${id}:${(packet as StoredPacket).qos}`);
    return out;
  }

  it('queues each session a copy at the highest QoS its matching filters were granted, never above the message, also after a reopen', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'uns-queued-qos-'));
    const reopen = () => new SqlitePersistence({ db: openDatabase(path.join(dir, 'gateway.db'), 'full'), log: createLogger('silent'), maxQueuedPerClient: 100, ownsDatabase: true });
    try {
      const first = reopen();
      const subs = [
        { clientId: 'q1', topic: 'plant/#', qos: 1 },
        { clientId: 'q2', topic: 'plant/+', qos: 2 },
        // Two filters of one session: the higher grant decides, for each of its copies.
        { clientId: 'both', topic: 'plant/x', qos: 2 },
        { clientId: 'both', topic: 'plant/#', qos: 1 },
        // A subscriber without a QoS (as some callers pass) keeps the message's.
        { clientId: 'bare' },
      ];
      await first.outgoingEnqueueCombi(subs, { ...publish(1), topic: 'plant/x', qos: 2 });
      await first.outgoingEnqueueCombi(subs, { ...publish(2), topic: 'plant/x', qos: 1 });
      const expected = ['q1:1', 'q1:1', 'q2:2', 'q2:1', 'both:2', 'both:2', 'both:1', 'both:1', 'bare:2', 'bare:1'];
      expect(await queuedAt(first)).toEqual(expected);
      await first.destroy();
      persistence = reopen();
      expect(await queuedAt(persistence)).toEqual(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('publish journal', () => {
  it('keeps a publish that a session queues and a bridge forwards until both have it', async () => {
    const p = open();
    p.forwardTo((topic) => topic.startsWith('plant/'));
    await p.addSubscriptions({ id: 'sub' }, [{ topic: 'plant/#', qos: 1 }] as never);
    const both = { cmd: 'publish', topic: 'plant/x', payload: Buffer.from('1'), qos: 1, retain: false } as StoredPacket;
    const neither = { cmd: 'publish', topic: 'other', payload: Buffer.from('2'), qos: 1, retain: false } as StoredPacket;
    expect(p.recordPublish(neither, 'c')).toBeUndefined();
    await p.recordPublish(both, 'c');
    await p.outgoingEnqueueCombi([{ clientId: 'sub' }], both);
    const journaled = () => (p.writer['db'].prepare('SELECT count(*) AS n FROM journal').get() as { n: number }).n;
    p.writer.flush();
    expect(journaled()).toBe(1);
    p.journal.settle(both);
    p.writer.flush();
    expect(journaled()).toBe(0);
  });

  it('drops entries aedes never routed after a while, and keeps the young ones', async () => {
    const p = open();
    const routed = { cmd: 'publish', topic: 'a', payload: Buffer.from('1'), qos: 1, retain: true } as StoredPacket;
    const never = { cmd: 'publish', topic: 'a', payload: Buffer.from('2'), qos: 1, retain: true } as StoredPacket;
    await p.recordPublish(routed, 'c');
    await p.recordPublish(never, 'c');
    await p.outgoingEnqueueCombi([], routed);
    expect(p.journal.sweep(10_000, Date.now())).toBe(0);
    expect(p.journal.sweep(10_000, Date.now() + 10_001)).toBe(1);
    p.writer.flush();
    expect(p.unfinishedPublishes()).toEqual([]);
  });

  it('does not journal a QoS 2 retransmission of a message already received', async () => {
    const p = open();
    const packet = { cmd: 'publish', topic: 'a', payload: Buffer.from('x'), qos: 2, retain: true, messageId: 7 } as StoredPacket;
    expect(p.recordPublish(packet, 'c')).toBeInstanceOf(Promise);
    await p.incomingStorePacket({ id: 'c' }, packet);
    expect(p.recordPublish({ ...packet, dup: true }, 'c')).toBeUndefined();
  });
});

describe('retained values', () => {
  const rows = (p: SqlitePersistence) => p.writer['db'].prepare('SELECT topic, payload FROM retained').all() as Array<{ topic: string; payload: Buffer }>;

  it('writes a tag value at most once per deferral, the latest one, and an acknowledged client publish at once', async () => {
    const p = open();
    for (const v of ['1', '2', '3']) await p.storeRetained({ cmd: 'publish', topic: 'plant/a/b/t', payload: Buffer.from(v), qos: 1, retain: true });
    p.writer.flush();
    expect(rows(p)).toEqual([]);
    p.retained.writeDeferred();
    p.writer.flush();
    expect(rows(p).map((r) => [r.topic, r.payload.toString()])).toEqual([['plant/a/b/t', '3']]);

    const acknowledged = { cmd: 'publish', topic: 'client/setpoint', payload: Buffer.from('9'), qos: 1, retain: true } as StoredPacket;
    await p.recordPublish(acknowledged, 'scada');
    await p.storeRetained(acknowledged);
    p.writer.flush();
    expect(rows(p).map((r) => r.topic).sort()).toEqual(['client/setpoint', 'plant/a/b/t']);
  });

  it('writes deferred values in slices of 1,000 rows, 50 ms apart, and a stop writes the rest at once', async () => {
    vi.useFakeTimers();
    const p = open();
    for (let i = 0; i < 2500; i++) await p.storeRetained({ cmd: 'publish', topic: `plant/a/b/t${i}`, payload: Buffer.from(String(i)), qos: 0, retain: true });
    const written = (): number => {
      p.writer.flush();
      return rows(p).length;
    };
    await vi.advanceTimersByTimeAsync(4999);
    expect(written()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(written()).toBe(1000);
    await vi.advanceTimersByTimeAsync(50);
    expect(written()).toBe(2000);
    p.retained.writeDeferred();
    expect(written()).toBe(2500);
  });

  it('writes a round of deferred values in topic order, whatever order they came in', async () => {
    vi.useFakeTimers();
    const p = open();
    const topics = Array.from({ length: 1500 }, (_, i) => `plant/a/b/t${String(i).padStart(4, '0')}`);
    // Stored last first, and the first slice still holds the 1,000 lowest topics.
    for (const topic of [...topics].reverse()) await p.storeRetained({ cmd: 'publish', topic, payload: Buffer.from('v'), qos: 0, retain: true });
    await vi.advanceTimersByTimeAsync(5000);
    p.writer.flush();
    expect(rows(p).map((r) => r.topic).sort()).toEqual(topics.slice(0, 1000));
  });

  it('writes a value stored while its topic waits in a slice at that slice, and one stored after its write at the next deferral', async () => {
    vi.useFakeTimers();
    const p = open();
    const store = (i: number, value: string) => p.storeRetained({ cmd: 'publish', topic: `plant/a/b/t${i}`, payload: Buffer.from(value), qos: 0, retain: true });
    for (let i = 0; i < 1500; i++) await store(i, 'first');
    const written = (): Map<string, string> => {
      p.writer.flush();
      return new Map(rows(p).map((r) => [r.topic, r.payload.toString()]));
    };
    const changes = (): number => (p.writer['db'].prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    await vi.advanceTimersByTimeAsync(5000);
    expect(written().size).toBe(1000);
    // In topic order, t999 comes after t1499 and waits for the second slice; t0 was in the first.
    await store(999, 'second');
    await store(0, 'second');
    const before = changes();
    await vi.advanceTimersByTimeAsync(50);
    const afterSlice = written();
    // The second slice, each row once, its waiting topic with its latest value; the topic written already waits for the next deferral.
    expect(changes() - before).toBe(500);
    expect([afterSlice.size, afterSlice.get('plant/a/b/t999'), afterSlice.get('plant/a/b/t0')]).toEqual([1500, 'second', 'first']);
    await vi.advanceTimersByTimeAsync(5000);
    expect(written().get('plant/a/b/t0')).toBe('second');
  });

  it('updates a value loaded at open in place: one row, the latest value, streamed once', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'uns-retained-'));
    try {
      const file = path.join(dir, 'gateway.db');
      const persist = (at: string) => new SqlitePersistence({ db: openDatabase(at, 'full'), log: createLogger('silent'), maxQueuedPerClient: 100, ownsDatabase: true });
      const first = persist(file);
      for (const tag of ['t1', 't2', 't3']) await first.storeRetained({ cmd: 'publish', topic: `plant/a/b/${tag}`, payload: Buffer.from('old'), qos: 0, retain: true });
      first.retained.writeDeferred();
      await first.destroy();
      const p = (persistence = persist(file));
      for (const value of ['new', 'newer']) await p.storeRetained({ cmd: 'publish', topic: 'plant/a/b/t2', payload: Buffer.from(value), qos: 0, retain: true });
      expect(p.retained.size).toBe(3);
      const streamed: string[] = [];
      for await (const packet of p.createRetainedStream('plant/#')) streamed.push(`${(packet as StoredPacket).topic}=${(packet as StoredPacket).payload.toString()}`);
      expect(streamed.sort()).toEqual(['plant/a/b/t1=old', 'plant/a/b/t2=newer', 'plant/a/b/t3=old']);
      p.retained.writeDeferred();
      p.writer.flush();
      expect(rows(p).map((r) => `${r.topic}=${r.payload.toString()}`).sort()).toEqual(['plant/a/b/t1=old', 'plant/a/b/t2=newer', 'plant/a/b/t3=old']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("takes a topic's next value in place, and no field of the last value stays when the next has other fields", async () => {
    const p = open();
    const topic = 'plant/a/b/t';
    await p.storeRetained({ cmd: 'publish', topic, payload: Buffer.from('1'), qos: 0, retain: true, dup: false, brokerCounter: 1, clientId: 'scada' });
    await p.storeRetained({ cmd: 'publish', topic, payload: Buffer.from('2'), qos: 0, retain: true, dup: false, brokerCounter: 2 });
    expect(p.retained.get(topic)).toEqual({ cmd: 'publish', topic, payload: Buffer.from('2'), qos: 0, retain: true, dup: false, brokerCounter: 2 });
    await p.storeRetained({ cmd: 'publish', topic, payload: Buffer.from('three'), qos: 0, retain: true, dup: false, brokerCounter: 3 });
    expect(p.retained.get(topic)).toEqual({ cmd: 'publish', topic, payload: Buffer.from('three'), qos: 0, retain: true, dup: false, brokerCounter: 3 });
    await p.storeRetained({ cmd: 'publish', topic, payload: Buffer.from('4'), qos: 1, retain: true, dup: false, brokerCounter: 4, messageId: undefined });
    expect(Object.keys(p.retained.get(topic) ?? {}).sort()).toEqual(['brokerCounter', 'cmd', 'dup', 'messageId', 'payload', 'qos', 'retain', 'topic']);
    p.retained.writeDeferred();
    p.writer.flush();
    expect(rows(p).map((r) => [r.topic, r.payload.toString()])).toEqual([[topic, '4']]);
  });

  it('streams the values as they were when the stream started: a value changed in place since then is left to the live route', async () => {
    const p = open();
    for (const tag of ['t1', 't2', 't3']) await p.storeRetained({ cmd: 'publish', topic: `plant/a/b/${tag}`, payload: Buffer.from('old'), qos: 0, retain: true });
    const stream = p.createRetainedStream('plant/#');
    await p.storeRetained({ cmd: 'publish', topic: 'plant/a/b/t2', payload: Buffer.from('new'), qos: 0, retain: true });
    const streamed: string[] = [];
    for await (const packet of stream) streamed.push(`${(packet as StoredPacket).topic}=${(packet as StoredPacket).payload.toString()}`);
    expect(streamed).toEqual(['plant/a/b/t1=old', 'plant/a/b/t3=old']);
    const later: string[] = [];
    for await (const packet of p.createRetainedStream('plant/#')) later.push(`${(packet as StoredPacket).topic}=${(packet as StoredPacket).payload.toString()}`);
    expect(later).toEqual(['plant/a/b/t1=old', 'plant/a/b/t2=new', 'plant/a/b/t3=old']);
  });

  it('writes the latest of two acknowledged values of a topic staged in the same batch, once', async () => {
    const p = open();
    const topic = 'client/setpoint';
    const changes = () => (p.writer['db'].prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    p.writer.flush();
    const before = changes();
    for (const v of ['8', '9']) {
      const packet = { cmd: 'publish', topic, payload: Buffer.from(v), qos: 1, retain: true } as StoredPacket;
      await p.recordPublish(packet, 'scada');
      await p.storeRetained(packet);
    }
    p.writer.flush();
    // Two journal rows and one retained row.
    expect(changes() - before).toBe(3);
    expect(rows(p).map((r) => [r.topic, r.payload.toString()])).toEqual([[topic, '9']]);
  });

  it('keeps every byte of a retained payload, also past 0x7f, in memory and across a reopen', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'uns-retained-'));
    try {
      const file = path.join(dir, 'gateway.db');
      const bytes = Buffer.from([0x00, 0x7f, 0x80, 0xc3, 0xa9, 0xff]);
      const first = new SqlitePersistence({ db: openDatabase(file, 'full'), log: createLogger('silent'), maxQueuedPerClient: 100, ownsDatabase: true });
      await first.storeRetained({ cmd: 'publish', topic: 'bin/a/b/t', payload: bytes, qos: 0, retain: true });
      expect(first.retained.get('bin/a/b/t')?.payload).toEqual(bytes);
      await first.destroy();
      persistence = new SqlitePersistence({ db: openDatabase(file, 'full'), log: createLogger('silent'), maxQueuedPerClient: 100, ownsDatabase: true });
      const streamed: Buffer[] = [];
      for await (const packet of persistence.createRetainedStream('bin/#')) streamed.push((packet as StoredPacket).payload);
      expect(streamed).toEqual([bytes]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

