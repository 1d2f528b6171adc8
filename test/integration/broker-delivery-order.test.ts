import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox } from '../helpers/mqtt.ts';

const pool = new ClientPool();
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway();
});

afterAll(async () => {
  await pool.endAll();
  await gw.stop();
});

describe('delivery when publishes take paths of different lengths through the broker', () => {
  it('delivers a QoS 1 retained message overtaken by a later QoS 0 one (aedes numbers them before its store)', async () => {
    const client = await pool.connect(gw.url());
    const inbox = new Inbox(client);
    await client.subscribeAsync('#', { qos: 1 });
    const sent: Array<Promise<void>> = [];
    for (let i = 0; i < 100; i++) {
      sent.push(gw.gateway.broker.publish(`slow/${i}`, String(i), { qos: 1, retain: true }));
      sent.push(gw.gateway.broker.publish(`fast/${i}`, String(i), { qos: 0, retain: false }));
    }
    await Promise.all(sent);
    await inbox.waitFor(201, 5000);
    const topics = inbox.messages.map((message) => message.topic);
    expect(topics.filter((topic) => topic.startsWith('slow/')).length).toBe(100);
    expect(topics.filter((topic) => topic.startsWith('fast/')).length).toBe(100);
  });

  it('still delivers a message once to a client whose subscriptions overlap', async () => {
    const client = await pool.connect(gw.url());
    const inbox = new Inbox(client);
    await client.subscribeAsync(['over/#', 'over/+/x', '#'], { qos: 1 });
    for (let i = 0; i < 20; i++) await gw.gateway.broker.publish(`over/${i}/x`, String(i), { qos: i % 2 === 0 ? 1 : 0, retain: false });
    await inbox.waitFor(20, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(inbox.messages.filter((message) => message.topic.startsWith('over/')).map((message) => message.payload)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });
});
