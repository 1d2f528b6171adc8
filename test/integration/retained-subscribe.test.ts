import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/broker/passwords.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { connectPacket, packetId, rawConnect, rawPacket, mqttString } from '../helpers/raw-mqtt.ts';

let gw: TestGateway;
const pool = new ClientPool();

beforeAll(async () => {
  const hash = await hashPassword('viewer-pw');
  gw = await startTestGateway({
    listeners: '\n    - { protocol: tcp, host: 127.0.0.1, port: 0 }\n  drainTimeoutMs: 500',
    extra: `access:\n  anonymousRoles: all\n  roles:\n    all: { subscribe: ['#'], publish: ['#'] }\n    viewer: { subscribe: ['plant/line1/#'] }\n  users:\n    - { username: viewer, password: "${hash}", roles: viewer }\n`,
  });
});
afterEach(() => pool.endAll());
afterAll(() => gw.stop());

/** Publishes one retained message per topic at `qos` and waits for the broker to have taken all of them. */
async function retain(topics: readonly string[], qos: 0 | 1 = 1): Promise<void> {
  const pub = await pool.connect(gw.url());
  await Promise.all(topics.map((topic) => pub.publishAsync(topic, `v ${topic}`, { qos, retain: true })));
}

describe('retained messages sent on SUBSCRIBE', () => {
  it('are not delivered again when their topic is published while they are being sent', async () => {
    const topics = Array.from({ length: 500 }, (_, i) => `dup/changing/t${i}`);
    const kept = Array.from({ length: 10 }, (_, i) => `dup/kept/t${i}`);
    const pub = await pool.connect(gw.url());
    await Promise.all([...topics, ...kept].map((topic) => pub.publishAsync(topic, `old ${topic}`, { qos: 1, retain: true })));

    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('dup/#', { qos: 1 });
    // Published after the SUBACK, while the retained messages are still streaming to the subscriber.
    await Promise.all(topics.map((topic) => pub.publishAsync(topic, `new ${topic}`, { qos: 1, retain: true })));
    const expected = [...topics.map((topic) => `${topic} new ${topic}`), ...kept.map((topic) => `${topic} old ${topic}`)];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const got = new Set(inbox.messages.map((m) => `${m.topic} ${m.payload}`));
      if (expected.every((key) => got.has(key))) break;
      await sleep(50);
    }
    await sleep(300);

    const copies = new Map<string, number>();
    for (const m of inbox.messages) copies.set(`${m.topic} ${m.payload}`, (copies.get(`${m.topic} ${m.payload}`) ?? 0) + 1);
    const twice = [...copies].filter(([, n]) => n > 1).map(([key]) => key);
    expect({ twice: twice.length, first: twice.slice(0, 3) }).toEqual({ twice: 0, first: [] });
    // Every new value arrives (live), and a topic left alone gets its retained message, once.
    expect(expected.filter((key) => !copies.has(key))).toEqual([]);
    for (const topic of kept) expect(inbox.messages.filter((m) => m.topic === topic)).toEqual([{ topic, payload: `old ${topic}`, qos: 1, retain: true }]);
  });

  it('come all, once each, in the order they were stored, with the retain flag', async () => {
    const topics = Array.from({ length: 5000 }, (_, i) => `order/a${i % 7}/t${i}`);
    await retain(topics);
    const sub = await pool.connect(gw.url());
    const counted = new Inbox(sub);
    await sub.subscribeAsync('order/#', { qos: 1 });
    await counted.waitFor(topics.length, 10_000);
    await sleep(100);
    expect(counted.messages.length).toBe(topics.length);
    expect(counted.topics()).toEqual(topics);
    expect(counted.messages.every((m) => m.retain && m.qos === 1 && m.payload === `v ${m.topic}`)).toBe(true);
  });

  it('go at the lower of their QoS and the QoS granted to the matching filter, also for a wildcard filter [MQTT-3.8.4-6]', async () => {
    await retain(['qos/one', 'qos/two/x']);
    const wildcard0 = await pool.connect(gw.url());
    const at0 = new Inbox(wildcard0);
    await wildcard0.subscribeAsync('qos/#', { qos: 0 });
    const exact1 = await pool.connect(gw.url());
    const at1 = new Inbox(exact1);
    await exact1.subscribeAsync('qos/one', { qos: 1 });
    await Promise.all([at0.waitFor(2), at1.waitFor(1)]);
    await sleep(100);
    expect(at0.messages).toEqual([
      { topic: 'qos/one', payload: 'v qos/one', qos: 0, retain: true },
      { topic: 'qos/two/x', payload: 'v qos/two/x', qos: 0, retain: true },
    ]);
    expect(at1.messages).toEqual([{ topic: 'qos/one', payload: 'v qos/one', qos: 1, retain: true }]);
  });

  it('come once for a topic two filters of one SUBSCRIBE match, at the higher QoS granted', async () => {
    await retain(['overlap/a/x', 'overlap/a/y', 'overlap/b/x']);
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync({ 'overlap/a/#': { qos: 0 }, 'overlap/+/x': { qos: 1 } });
    await inbox.waitFor(3);
    await sleep(200);
    expect(inbox.messages.map((m) => `${m.topic} q${m.qos}`)).toEqual(['overlap/a/x q1', 'overlap/a/y q0', 'overlap/b/x q1']);
  });

  it('are only those the subscriber may read, under a filter wider than its rules', async () => {
    await retain(['plant/line1/press/speed', 'plant/line2/press/speed', 'plant/line1/oven/temp']);
    const viewer = await pool.connect(gw.url(), { username: 'viewer', password: 'viewer-pw' });
    const inbox = new Inbox(viewer);
    await viewer.subscribeAsync('plant/#', { qos: 1 });
    await inbox.waitFor(2);
    await sleep(200);
    expect(inbox.topics()).toEqual(['plant/line1/press/speed', 'plant/line1/oven/temp']);
  });

  it('wait for a subscriber that stops reading, which is disconnected after drainTimeoutMs while others get theirs', async () => {
    // 20 MB: more than the kernel's socket buffers hold for a client that never read.
    const payload = 'x'.repeat(10_000);
    const pub = await pool.connect(gw.url());
    const topics = Array.from({ length: 2000 }, (_, i) => `slow/t${i}`);
    await Promise.all(topics.map((topic) => pub.publishAsync(topic, payload, { qos: 0, retain: true })));
    await pub.publishAsync('slow/last', payload, { qos: 1, retain: true });

    const raw = await rawConnect(gw.port('tcp'));
    // Paused before anything arrives, so the kernel keeps its receive buffer small.
    raw.socket.pause();
    raw.socket.write(connectPacket({ clientId: 'stalled', clean: true, keepalive: 0 }));
    raw.socket.write(rawPacket(0x82, packetId(1), mqttString('slow/#'), Buffer.from([0])));
    const reader = await pool.connect(gw.url());
    const inbox = new Inbox(reader);
    await reader.subscribeAsync('slow/#', { qos: 0 });
    await inbox.waitFor(topics.length + 1, 10_000);
    await sleep(1000);
    // Reading again, it finds the connection closed before everything was sent.
    raw.socket.resume();
    await raw.closed;
    expect(raw.received().length).toBeGreaterThan(0);
    expect(raw.received().length).toBeLessThan((topics.length * payload.length) / 2);
  });
});
