import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';

let gw: TestGateway;
const pool = new ClientPool();

beforeAll(async () => {
  gw = await startTestGateway({ listeners: '\n    - { protocol: tcp, host: 127.0.0.1, port: 0 }' });
});
afterEach(() => pool.endAll());
afterAll(() => gw.stop());

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
});
