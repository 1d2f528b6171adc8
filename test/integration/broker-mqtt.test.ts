import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { connectPacket, mqttString, packetId, rawConnect, rawPacket } from '../helpers/raw-mqtt.ts';

let gw: TestGateway;
const pool = new ClientPool();

beforeAll(async () => {
  gw = await startTestGateway();
});
afterEach(() => pool.endAll());
afterAll(() => gw.stop());

describe.each(['tcp', 'ws'] as const)('MQTT 3.1.1 over %s', (transport) => {
  const url = () => gw.url(transport);

  it('delivers QoS 0, 1 and 2 at the granted QoS, in order', async () => {
    const sub = await pool.connect(url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(`${transport}/qos/#`, { qos: 2 });
    const pub = await pool.connect(url());
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`${transport}/qos/${qos}`, `m${qos}`, { qos });
    const got = await inbox.waitFor(3);
    expect(got.map((m) => [m.topic, m.payload, m.qos])).toEqual([
      [`${transport}/qos/0`, 'm0', 0],
      [`${transport}/qos/1`, 'm1', 1],
      [`${transport}/qos/2`, 'm2', 2],
    ]);
  });

  it('delivers a QoS 2 message at the QoS granted to a wildcard filter [MQTT-3.8.4-6]', async () => {
    const at1 = await pool.connect(url());
    const inbox1 = new Inbox(at1);
    await at1.subscribeAsync(`${transport}/granted/#`, { qos: 1 });
    const at2 = await pool.connect(url());
    const inbox2 = new Inbox(at2);
    await at2.subscribeAsync({ [`${transport}/granted/+`]: { qos: 2 }, [`${transport}/granted/#`]: { qos: 1 } });
    const pub = await pool.connect(url());
    await pub.publishAsync(`${transport}/granted/a`, 'two', { qos: 2 });
    await pub.publishAsync(`${transport}/granted/a/b`, 'deep', { qos: 2 });
    await Promise.all([inbox1.waitFor(2), inbox2.waitFor(2)]);
    await sleep(100);
    expect(inbox1.messages.map((m) => [m.payload, m.qos])).toEqual([['two', 1], ['deep', 1]]);
    // The highest QoS among the filters that match: 2 where `+` matches, 1 where only `#` does.
    expect(inbox2.messages.map((m) => [m.payload, m.qos])).toEqual([['two', 2], ['deep', 1]]);
  });

  it('delivers QoS 2 exactly once [MQTT-4.3.3]', async () => {
    const sub = await pool.connect(url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(`${transport}/exactly-once`, { qos: 2 });
    const pub = await pool.connect(url());
    const sent = Array.from({ length: 50 }, (_, i) => `n${i}`);
    await Promise.all(sent.map((payload) => pub.publishAsync(`${transport}/exactly-once`, payload, { qos: 2 })));
    await inbox.waitFor(50);
    await sleep(200);
    expect(inbox.messages.map((m) => m.payload).sort()).toEqual([...sent].sort());
  });

  it('keeps a retained message for new subscribers and clears it with an empty payload [MQTT-3.3.1-10]', async () => {
    const topic = `${transport}/retained/setpoint`;
    const pub = await pool.connect(url());
    await pub.publishAsync(topic, '42', { qos: 1, retain: true });
    const first = await pool.connect(url());
    const firstInbox = new Inbox(first);
    await first.subscribeAsync(topic, { qos: 1 });
    const [retained] = await firstInbox.waitFor(1);
    expect(retained).toEqual({ topic, payload: '42', qos: 1, retain: true });

    await pub.publishAsync(topic, '', { qos: 1, retain: true });
    const second = await pool.connect(url());
    const secondInbox = new Inbox(second);
    await second.subscribeAsync([topic, `${transport}/retained/marker`], { qos: 1 });
    await pub.publishAsync(`${transport}/retained/marker`, 'after', { qos: 1 });
    await secondInbox.waitFor(1);
    await sleep(100);
    expect(secondInbox.messages.map((m) => m.payload)).toEqual(['after']);
  });

  it('publishes the last will when a client drops without DISCONNECT [MQTT-3.1.2-8]', async () => {
    const watcher = await pool.connect(url());
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync(`${transport}/will/+`, { qos: 1 });
    const graceful = await pool.connect(url(), { will: { topic: `${transport}/will/graceful`, payload: Buffer.from('gone'), qos: 1, retain: false } });
    await graceful.endAsync();
    const dying = await pool.connect(url(), { will: { topic: `${transport}/will/dying`, payload: Buffer.from('lost'), qos: 1, retain: false } });
    dying.stream.destroy();
    const [will] = await inbox.waitFor(1);
    await sleep(100);
    expect(inbox.messages).toHaveLength(1);
    expect(will).toMatchObject({ topic: `${transport}/will/dying`, payload: 'lost' });
  });

  it('queues QoS 1 messages for an offline persistent session and delivers them on reconnect', async () => {
    const clientId = `scada-${transport}`;
    const first = await pool.connect(url(), { clientId, clean: false });
    await first.subscribeAsync(`${transport}/persist/#`, { qos: 1 });
    await first.endAsync();

    const pub = await pool.connect(url());
    for (let i = 0; i < 5; i++) await pub.publishAsync(`${transport}/persist/v`, `v${i}`, { qos: 1 });

    const again = pool.open(url(), { clientId, clean: false });
    const inbox = new Inbox(again);
    const connack = new Promise<boolean>((resolve) => again.once('connect', (packet) => resolve(packet.sessionPresent)));
    expect(await connack).toBe(true);
    const got = await inbox.waitFor(5);
    expect(got.map((m) => m.payload)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('delivers queued messages on reconnect at the QoS granted to the offline session [MQTT-3.8.4-6]', async () => {
    expect(await queuedWhileOffline(url(), `${transport}/queued-qos`)).toEqual(QUEUED_AT_GRANTED_QOS);
  });

  it('matches + and # wildcards, # including the parent level [MQTT-4.7.1-2]', async () => {
    const sub = await pool.connect(url());
    const plus = new Inbox(sub);
    await sub.subscribeAsync(`${transport}/wild/+/c`, { qos: 1 });
    const sub2 = await pool.connect(url());
    const hash = new Inbox(sub2);
    await sub2.subscribeAsync(`${transport}/wild/#`, { qos: 1 });
    const pub = await pool.connect(url());
    for (const t of ['wild', 'wild/b/c', 'wild/b/d', 'wild/x/y/c']) await pub.publishAsync(`${transport}/${t}`, t, { qos: 1 });
    await hash.waitFor(4);
    await sleep(100);
    expect(plus.messages.map((m) => m.payload)).toEqual(['wild/b/c']);
    expect(hash.messages.map((m) => m.payload)).toEqual(['wild', 'wild/b/c', 'wild/b/d', 'wild/x/y/c']);
  });

  it('routes each publish of one topic by the subscriptions in place at that moment', async () => {
    const topic = `${transport}/routes/plant/tag`;
    const a = await pool.connect(url());
    const aInbox = new Inbox(a);
    await a.subscribeAsync(topic, { qos: 1 });
    const b = await pool.connect(url());
    const bInbox = new Inbox(b);
    const pub = await pool.connect(url());
    const send = (payload: string) => pub.publishAsync(topic, payload, { qos: 1 });
    await send('1');
    await aInbox.waitFor(1);
    await b.subscribeAsync(`${transport}/routes/+/tag`, { qos: 1 });
    await send('2');
    await bInbox.waitFor(1);
    await a.unsubscribeAsync(topic);
    await send('3');
    await bInbox.waitFor(2);
    await b.endAsync();
    await a.subscribeAsync(`${transport}/routes/#`, { qos: 1 });
    await send('4');
    await aInbox.waitFor(3);
    await sleep(100);
    expect(aInbox.messages.map((m) => m.payload)).toEqual(['1', '2', '4']);
    expect(bInbox.messages.map((m) => m.payload)).toEqual(['2', '3']);
  });
});

/** What a session granted QoS 1 and one granted QoS 2 on `prefix/#` get on reconnect after a QoS 2 (a) and a QoS 1 (b) message. */
const QUEUED_AT_GRANTED_QOS = [
  [['a', 'two', 1], ['b', 'one', 1]],
  [['a', 'two', 2], ['b', 'one', 1]],
];

/** Two persistent sessions, granted QoS 1 and 2 on `prefix/#`, offline while a QoS 2 and a QoS 1 message come: [topic's last level, payload, QoS] each gets on reconnect. */
async function queuedWhileOffline(url: string, prefix: string): Promise<unknown[]> {
  const sessions = [1, 2].map((qos) => ({ clientId: `scada-q${qos}-${prefix.replaceAll('/', '-')}`, qos: qos as 1 | 2 }));
  for (const { clientId, qos } of sessions) {
    const first = await pool.connect(url, { clientId, clean: false });
    await first.subscribeAsync(`${prefix}/#`, { qos });
    await first.endAsync();
  }
  const pub = await pool.connect(url);
  await pub.publishAsync(`${prefix}/a`, 'two', { qos: 2 });
  await pub.publishAsync(`${prefix}/b`, 'one', { qos: 1 });
  const received: unknown[] = [];
  for (const { clientId } of sessions) {
    const again = pool.open(url, { clientId, clean: false });
    const inbox = new Inbox(again);
    await inbox.waitFor(2);
    await sleep(100);
    // By topic: MQTT.js hands a QoS 2 message over at its PUBREL, after a QoS 1 message sent behind it.
    received.push(inbox.messages.map((m) => [m.topic.split('/').pop(), m.payload, m.qos]).sort());
  }
  return received;
}

describe('with store.engine: memory (aedes\' in-memory persistence)', () => {
  it('delivers queued messages on reconnect at the QoS granted to the offline session [MQTT-3.8.4-6]', async () => {
    const memory = await startTestGateway({ store: '  engine: memory\n' });
    try {
      expect(await queuedWhileOffline(memory.url('tcp'), 'memory/queued-qos')).toEqual(QUEUED_AT_GRANTED_QOS);
    } finally {
      await pool.endAll();
      await memory.stop();
    }
  });
});

describe('a persistent session that drops with a message in flight', () => {
  it('gets it again at the QoS its filter was granted, not at the QoS it was published with [MQTT-3.8.4-6]', async () => {
    const clientId = 'scada-inflight';
    // A raw client, which never acknowledges what it receives (MQTT.js 3.1.1 always does).
    const raw = await rawConnect(gw.port('tcp'));
    raw.socket.write(connectPacket({ clientId, clean: false, keepalive: 60 }));
    raw.socket.write(rawPacket(0x82, packetId(1), mqttString('inflight/#'), Buffer.from([1])));
    await vi.waitFor(() => expect(raw.received().subarray(4, 5)).toEqual(Buffer.from([0x90])), { timeout: 5000 });
    const pub = await pool.connect(gw.url('tcp'));
    await pub.publishAsync('inflight/a', 'two', { qos: 2 });
    // CONNACK (4 bytes), SUBACK (5), then a PUBLISH at QoS 1: 0x32.
    await vi.waitFor(() => expect(raw.received()[9]).toBe(0x32), { timeout: 5000 });
    raw.socket.destroy();
    await raw.closed;

    const again = pool.open(gw.url('tcp'), { clientId, clean: false });
    const inbox = new Inbox(again);
    const [replayed] = await inbox.waitFor(1);
    expect([replayed?.topic, replayed?.payload, replayed?.qos]).toEqual(['inflight/a', 'two', 1]);
  });
});

describe('connection rules', () => {
  it('refuses an empty client id with clean=false with CONNACK 2 [MQTT-3.1.3-8]', async () => {
    const conn = await rawConnect(gw.port('tcp'));
    conn.socket.write(connectPacket({ clientId: '', clean: false, keepalive: 30 }));
    await conn.closed;
    expect([...conn.received()]).toEqual([0x20, 0x02, 0x00, 0x02]);
  });

  it('accepts an empty client id with clean=true [MQTT-3.1.3-6]', async () => {
    const conn = await rawConnect(gw.port('tcp'));
    conn.socket.write(connectPacket({ clientId: '', clean: true, keepalive: 30 }));
    await sleep(200);
    expect([...conn.received()]).toEqual([0x20, 0x02, 0x00, 0x00]);
    conn.socket.destroy();
  });

  it('closes a silent client after 1.5 × keep-alive and publishes its will [MQTT-3.1.2-24]', async () => {
    const watcher = await pool.connect(gw.url());
    const inbox = new Inbox(watcher);
    await watcher.subscribeAsync('keepalive/will', { qos: 0 });
    const conn = await rawConnect(gw.port('tcp'));
    conn.socket.write(connectPacket({ clientId: 'silent', clean: true, keepalive: 1, will: { topic: 'keepalive/will', payload: 'timed out' } }));
    const elapsed = await conn.closed;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(4000);
    const [will] = await inbox.waitFor(1);
    expect(will?.payload).toBe('timed out');
  });

  it('disconnects a client that publishes to a reserved _gateway topic and keeps the status', async () => {
    const rogue = await pool.connect(gw.url());
    const closed = new Promise<void>((resolve) => rogue.once('close', () => resolve()));
    rogue.publish('_gateway/test-gw/status', 'offline', { qos: 1, retain: true });
    await closed;
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('_gateway/test-gw/status');
    const [status] = await inbox.waitFor(1);
    expect(status).toMatchObject({ payload: 'online', retain: true });
  });
});
