import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { mqttString, packetId, rawConnect, rawConnectPacket, rawPacket, type RawConnection } from '../helpers/raw-mqtt.ts';

/**
 * MQTT 3.1.1 input a server must refuse by closing the connection, case by case as Mosquitto refuses it,
 * with controls that must be accepted, so that a guard that closes everything fails too.
 */

let gw: TestGateway;
const pool = new ClientPool();
let watcher: Inbox;

beforeAll(async () => {
  gw = await startTestGateway();
  const client = await pool.connect(gw.url(), { clientId: 'watcher' });
  watcher = new Inbox(client);
  await client.subscribeAsync('#', { qos: 0 });
});
afterAll(async () => {
  await pool.endAll();
  await gw.stop();
});

const INVALID_UTF8 = Buffer.from([0x61, 0x2f, 0xc3, 0x28]);
const NUL_TOPIC = Buffer.from('a/\u0000/b');
const DEEP = Array.from({ length: 101 }, (_, i) => `l${i}`).join('/');
const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);
const CONNACK_NOT_AUTHORIZED = Buffer.from([0x20, 0x02, 0x00, 0x05]);

let serial = 0;

async function closedWithin(conn: RawConnection, ms: number): Promise<boolean> {
  return Promise.race([conn.closed.then(() => true), sleep(ms).then(() => false)]);
}

async function connected(): Promise<RawConnection> {
  const conn = await rawConnect(gw.port('tcp'));
  conn.socket.write(rawConnectPacket({ clientId: `raw-${++serial}` }));
  const deadline = Date.now() + 2000;
  while (conn.received().length < 4 && Date.now() < deadline) await sleep(5);
  expect(conn.received().subarray(0, 4)).toEqual(CONNACK_OK);
  return conn;
}

const publish = (topic: string | Buffer, options: { qos?: number; dup?: boolean; id?: number } = {}) => {
  const qos = options.qos ?? 0;
  const header = 0x30 | (options.dup ? 0x08 : 0) | (qos << 1);
  return rawPacket(header, mqttString(topic), ...(qos > 0 ? [packetId(options.id ?? 1)] : []), Buffer.from(`bad-${serial}`));
};
const subscribe = (filter: string | Buffer, id = 1) => rawPacket(0x82, packetId(id), mqttString(filter), Buffer.from([0]));
const unsubscribe = (filter: string | Buffer, id = 1) => rawPacket(0xa2, packetId(id), mqttString(filter));

describe('CONNECTs refused without CONNACK: the connection is closed', () => {
  it.each([
    ['will QoS 3 [MQTT-3.1.2-14]', rawConnectPacket({ clientId: 'w1', will: { topic: 'a/b', qos: 3 } })],
    ['will topic with "#"', rawConnectPacket({ clientId: 'w2', will: { topic: 'a/#' } })],
    ['will topic with "+"', rawConnectPacket({ clientId: 'w3', will: { topic: 'a/+/b' } })],
    ['empty will topic [MQTT-4.7.3-1]', rawConnectPacket({ clientId: 'w4', will: { topic: '' } })],
    ['will topic not UTF-8 [MQTT-1.5.3-1]', rawConnectPacket({ clientId: 'w5', will: { topic: INVALID_UTF8 } })],
    ['will topic with U+0000 [MQTT-1.5.3-2]', rawConnectPacket({ clientId: 'w6', will: { topic: NUL_TOPIC } })],
    ['will topic with 101 levels', rawConnectPacket({ clientId: 'w7', will: { topic: DEEP } })],
    ['client id not UTF-8', rawConnectPacket({ clientId: INVALID_UTF8 })],
    ['client id with U+0000', rawConnectPacket({ clientId: Buffer.from('id\u0000x') })],
    ['user name not UTF-8', rawConnectPacket({ clientId: 'u1', username: INVALID_UTF8, password: 'x' })],
    ['password without user name [MQTT-3.1.2-22]', rawConnectPacket({ clientId: 'u2', password: 'secret' })],
  ])('%s', async (_name, packet) => {
    const conn = await rawConnect(gw.port('tcp'));
    conn.socket.write(packet);
    expect(await closedWithin(conn, 2000)).toBe(true);
    expect(conn.received()).toEqual(Buffer.alloc(0));
  });

  it.each([
    ['a will on the gateway\'s own topics', '_gateway/test-gw/status'],
    ['a will on a $SYS topic', '$SYS/broker/fake'],
  ])('%s gets CONNACK 5 (not authorized)', async (_name, topic) => {
    const conn = await rawConnect(gw.port('tcp'));
    conn.socket.write(rawConnectPacket({ clientId: `policy-${++serial}`, will: { topic, retain: true } }));
    expect(await closedWithin(conn, 2000)).toBe(true);
    expect(conn.received()).toEqual(CONNACK_NOT_AUTHORIZED);
  });
});

describe('packets that close an accepted connection', () => {
  it.each([
    ['PUBLISH topic not UTF-8 [MQTT-1.5.3-1]', () => publish(INVALID_UTF8)],
    ['PUBLISH topic with U+0000 [MQTT-1.5.3-2]', () => publish(NUL_TOPIC)],
    ['QoS 1 PUBLISH with packet id 0 [MQTT-2.3.1-1]', () => publish('a/b', { qos: 1, id: 0 })],
    ['QoS 2 PUBLISH with packet id 0 [MQTT-2.3.1-1]', () => publish('a/b', { qos: 2, id: 0 })],
    ['QoS 0 PUBLISH with DUP [MQTT-3.3.1-2]', () => publish('a/b', { dup: true })],
    ['QoS 1 PUBLISH too short for its packet identifier', () => rawPacket(0x32, mqttString('a/b'), Buffer.from([0]))],
    ['PUBACK without its packet identifier', () => rawPacket(0x40)],
    ['SUBSCRIBE with packet id 0', () => subscribe('a/b', 0)],
    ['SUBSCRIBE filter not UTF-8', () => subscribe(INVALID_UTF8)],
    ['SUBSCRIBE filter with U+0000', () => subscribe(NUL_TOPIC)],
    ['SUBSCRIBE filter "a/#/b" [MQTT-4.7.1-2]', () => subscribe('a/#/b')],
    ['SUBSCRIBE filter "a+/b" [MQTT-4.7.1-3]', () => subscribe('a+/b')],
    ['SUBSCRIBE empty filter [MQTT-4.7.3-1]', () => subscribe('')],
    ['UNSUBSCRIBE with packet id 0', () => unsubscribe('a/b', 0)],
    ['UNSUBSCRIBE filter "a/#/b"', () => unsubscribe('a/#/b')],
    ['UNSUBSCRIBE filter not UTF-8', () => unsubscribe(INVALID_UTF8)],
    ['PUBACK with packet id 0', () => rawPacket(0x40, packetId(0))],
    ['PUBREL with packet id 0', () => rawPacket(0x62, packetId(0))],
  ])('%s', async (_name, make) => {
    const conn = await connected();
    conn.socket.write(make());
    expect(await closedWithin(conn, 2000)).toBe(true);
    expect(conn.received().length).toBe(4);
  });

  it('forwards none of the refused publishes to a "#" subscriber', async () => {
    await sleep(200);
    expect(watcher.messages.filter((m) => m.payload.startsWith('bad-'))).toEqual([]);
  });
});

describe('controls: valid input stays connected', () => {
  it('a topic holding U+FFFD itself (well-formed UTF-8) is delivered', async () => {
    const conn = await connected();
    conn.socket.write(rawPacket(0x30, mqttString('ok/\uFFFD'), Buffer.from('replacement')));
    const deadline = Date.now() + 2000;
    while (!watcher.messages.some((m) => m.payload === 'replacement') && Date.now() < deadline) await sleep(10);
    expect(watcher.messages.find((m) => m.payload === 'replacement')?.topic).toBe('ok/\uFFFD');
    expect(await closedWithin(conn, 100)).toBe(false);
    conn.socket.destroy();
  });

  it.each(['a/+/b', '+', '#', 'a/#', '+/+/#'])('SUBSCRIBE "%s" gets SUBACK 0', async (filter) => {
    const conn = await connected();
    conn.socket.write(subscribe(filter, 7));
    const deadline = Date.now() + 2000;
    while (conn.received().length < 9 && Date.now() < deadline) await sleep(5);
    expect(conn.received().subarray(4, 9)).toEqual(Buffer.from([0x90, 0x03, 0x00, 0x07, 0x00]));
    expect(await closedWithin(conn, 100)).toBe(false);
    conn.socket.destroy();
  });
});
