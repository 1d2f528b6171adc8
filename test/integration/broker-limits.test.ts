import { afterEach, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../helpers/certificates.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { mqttString, packetId, rawConnect, rawConnectPacket, rawPacket, type RawConnection } from '../helpers/raw-mqtt.ts';
import { until } from '../helpers/until.ts';

const pool = new ClientPool();
let gw: TestGateway | undefined;
const raws: RawConnection[] = [];

afterEach(async () => {
  for (const conn of raws.splice(0)) conn.socket.destroy();
  await pool.endAll();
  await gw?.stop();
  gw = undefined;
});

async function start(broker: string) {
  const capture = captureLog('warn');
  gw = await startTestGateway({ extra: '', log: capture.log, listeners: `\n    - protocol: tcp\n      host: 127.0.0.1\n      port: 0\n${broker}` });
  return { gw, capture };
}

async function raw(port: number): Promise<RawConnection> {
  const conn = await rawConnect(port);
  raws.push(conn);
  return conn;
}

function closedWithin(conn: RawConnection, ms: number): Promise<boolean> {
  return Promise.race([conn.closed.then(() => true), sleep(ms).then(() => false)]);
}

const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00]);

describe('broker.maxPacketBytes and broker.maxConnectBytes', () => {
  const limits = '  maxPacketBytes: 4096\n  maxConnectBytes: 1024';

  it('closes a connection whose packet claims more than the limit, from its fixed header, before the body is sent', async () => {
    const { gw } = await start(limits);
    const conn = await raw(gw.port('tcp'));
    conn.socket.write(rawConnectPacket({ clientId: 'big' }));
    await until(() => conn.received().length >= 4);
    // A PUBLISH announcing 200 MB, of which only the first bytes ever come.
    conn.socket.write(Buffer.from([0x30, 0x80, 0x84, 0xaf, 0x5f, 0x00, 0x03, 0x61, 0x2f, 0x62]));
    expect(await closedWithin(conn, 2000)).toBe(true);
    expect(gw.gateway.broker.refusals()).toMatchObject({ UNS_ERR_PACKET_TOO_LARGE: 1 });
  });

  it('delivers a publish at the limit and refuses one a byte over it', async () => {
    const { gw, capture } = await start(limits);
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('size/#', { qos: 0 });
    const conn = await raw(gw.port('tcp'));
    conn.socket.write(rawConnectPacket({ clientId: 'sizes' }));
    await until(() => conn.received().length >= 4);
    const topic = mqttString('size/ok');
    conn.socket.write(rawPacket(0x30, topic, Buffer.alloc(4096 - topic.length, 0x61)));
    await inbox.waitFor(1);
    expect(inbox.messages[0]?.payload.length).toBe(4096 - topic.length);
    conn.socket.write(rawPacket(0x30, mqttString('size/over'), Buffer.alloc(4096 - topic.length + 1, 0x62)));
    expect(await closedWithin(conn, 2000)).toBe(true);
    await sleep(100);
    expect(inbox.topics()).toEqual(['size/ok']);
    expect(capture.withCode('UNS_ERR_PACKET_TOO_LARGE')).toHaveLength(1);
  });

  it('holds a connection to the lower limit until its CONNECT is accepted', async () => {
    const { gw } = await start(limits);
    const bigWill = await raw(gw.port('tcp'));
    bigWill.socket.write(rawConnectPacket({ clientId: 'will', will: { topic: 'a/b', payload: 'x'.repeat(2000) } }));
    expect(await closedWithin(bigWill, 2000)).toBe(true);
    expect(bigWill.received()).toEqual(Buffer.alloc(0));

    const early = await raw(gw.port('tcp'));
    early.socket.write(Buffer.concat([rawConnectPacket({ clientId: 'early' }), rawPacket(0x30, mqttString('a/b'), Buffer.alloc(2000))]));
    expect(await closedWithin(early, 2000)).toBe(true);
    expect(gw.gateway.broker.refusals()).toMatchObject({ UNS_ERR_PACKET_TOO_LARGE: 2 });
  });
});

describe('broker.maxConnections and broker.connectTimeoutMs', () => {
  it('refuses connections past the limit at once, closes the silent ones after the connect timeout, and logs both; then a client gets in', async () => {
    const { gw, capture } = await start('  maxConnections: 20\n  connectTimeoutMs: 500');
    const idle = await Promise.all(Array.from({ length: 30 }, () => raw(gw.port('tcp'))));
    const closedEarly = await Promise.all(idle.map((conn) => closedWithin(conn, 200)));
    expect(closedEarly.filter(Boolean)).toHaveLength(10);
    expect(gw.gateway.broker.refusals()).toMatchObject({ UNS_ERR_CONNECTION_LIMIT: 10 });
    const legit = pool.open(gw.url());
    const refused = await new Promise<boolean>((resolve) => {
      legit.once('connect', () => resolve(false));
      legit.once('close', () => resolve(true));
    });
    expect(refused).toBe(true);

    await Promise.all(idle.map((conn) => conn.closed));
    expect(gw.gateway.broker.refusals()).toMatchObject({ UNS_ERR_CONNECTION_LIMIT: 11, UNS_ERR_CONNECT_TIMEOUT: 20 });
    expect(capture.withCode('UNS_ERR_CONNECTION_LIMIT')[0]).toMatchObject({ maxConnections: 20 });
    expect(capture.withCode('UNS_ERR_CONNECT_TIMEOUT')[0]).toMatchObject({ connectTimeoutMs: 500 });
    const client = await pool.connect(gw.url());
    expect(client.connected).toBe(true);
  });
});

describe('TLS and WebSocket listeners count connections from their first byte', () => {
  it('refuses sockets past the limit on a TLS listener before any handshake, and closes one that never completes its handshake', async () => {
    const dir = makeTempDir();
    const { cert, key } = selfSignedCertificate(dir.path);
    dir.remove();
    const capture = captureLog('warn');
    gw = await startTestGateway({
      log: capture.log,
      listeners: `\n    - protocol: tls\n      host: 127.0.0.1\n      port: 0\n      cert: tls/cert.pem\n      key: tls/key.pem\n  maxConnections: 5\n  connectTimeoutMs: 500`,
      files: { 'tls/cert.pem': cert, 'tls/key.pem': key },
    });
    const port = gw.port('tls');
    const idle = await Promise.all(Array.from({ length: 8 }, () => raw(port)));
    const closedEarly = await Promise.all(idle.map((conn) => closedWithin(conn, 200)));
    expect(closedEarly.filter(Boolean)).toHaveLength(3);
    expect(gw.gateway.broker.refusals()).toMatchObject({ UNS_ERR_CONNECTION_LIMIT: 3 });
    const closedLater = await Promise.all(idle.map((conn) => closedWithin(conn, 3000)));
    expect(closedLater.every(Boolean)).toBe(true);
  });

  it('closes a WebSocket connection whose HTTP upgrade never comes', async () => {
    const ws = await startTestGateway({ listeners: `\n    - protocol: ws\n      host: 127.0.0.1\n      port: 0\n      path: /mqtt\n  connectTimeoutMs: 500` });
    gw = ws;
    const conn = await raw(ws.port('ws'));
    conn.socket.write('GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(await closedWithin(conn, 3000)).toBe(true);
  });
});

describe('a subscriber that stops reading costs only itself', () => {
  const slowLimits = (dropQos0Bytes: number, disconnectBytes: number, disconnectMessages = 20_000) =>
    `  drainTimeoutMs: 60000\n  slowSubscriber:\n    dropQos0Bytes: ${dropQos0Bytes}\n    disconnectBytes: ${disconnectBytes}\n    disconnectMessages: ${disconnectMessages}`;

  async function stalledSubscriber(port: number, filter: string, qos: number): Promise<RawConnection> {
    const conn = await raw(port);
    conn.socket.write(rawConnectPacket({ clientId: `stalled-${qos}` }));
    await until(() => conn.received().length >= 4);
    expect(conn.received().subarray(0, 4)).toEqual(CONNACK_OK);
    conn.socket.write(rawPacket(0x82, packetId(1), mqttString(filter), Buffer.from([qos])));
    await until(() => conn.received().length >= 9);
    conn.socket.pause();
    return conn;
  }

  it('QoS 1 round trips of other clients go on while a "#" subscriber at QoS 1 never reads; it is disconnected at its byte bound', async () => {
    const { gw } = await start(slowLimits(65_536, 262_144));
    const stalled = await stalledSubscriber(gw.port('tcp'), '#', 1);
    const client = await pool.connect(gw.url(), { clientId: 'busy' });
    const inbox = new Inbox(client);
    await client.subscribeAsync('busy/#', { qos: 1 });
    const payload = Buffer.alloc(16_384, 0x61);
    const total = 1500;
    for (let sent = 0; sent < total; sent += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => client.publishAsync(`busy/${sent + i}`, payload, { qos: 1 })));
    }
    await inbox.waitFor(total, 10_000);
    expect(gw.gateway.broker.refusals()).toMatchObject({ UNS_ERR_SLOW_SUBSCRIBER: 1 });
    // The end of the stream is only seen once the stalled client reads up to it.
    stalled.socket.resume();
    expect(await closedWithin(stalled, 5000)).toBe(true);
  });

  it('counts messages too: a stalled subscriber of small messages is disconnected at disconnectMessages, far under its byte bound', async () => {
    const { gw } = await start(slowLimits(1_048_576, 67_108_864, 500));
    await stalledSubscriber(gw.port('tcp'), '#', 1);
    const client = await pool.connect(gw.url(), { clientId: 'small' });
    const payload = Buffer.alloc(1024, 0x63);
    for (let sent = 0; sent < 8000 && gw.gateway.broker.refusals().UNS_ERR_SLOW_SUBSCRIBER === undefined; sent += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => client.publishAsync(`small/${sent + i}`, payload, { qos: 1 })));
    }
    expect(gw.gateway.broker.refusals()).toMatchObject({ UNS_ERR_SLOW_SUBSCRIBER: 1 });
  });

  it('a stalled QoS 0 subscriber has its QoS 0 messages dropped and stays connected; the others receive every one', async () => {
    // The reader is never more than one batch (800 KB) behind: under the QoS 0 bound, so it loses nothing.
    const { gw } = await start(slowLimits(1_048_576, 67_108_864));
    const stalled = await stalledSubscriber(gw.port('tcp'), 'fast/#', 0);
    const reader = await pool.connect(gw.url(), { clientId: 'reader' });
    const inbox = new Inbox(reader);
    await reader.subscribeAsync('fast/#', { qos: 0 });
    const publisher = await pool.connect(gw.url(), { clientId: 'publisher' });
    const payload = Buffer.alloc(16_384, 0x62);
    const total = 1000;
    for (let sent = 0; sent < total; sent += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => publisher.publishAsync(`fast/${sent + i}`, payload, { qos: 1 })));
      await inbox.waitFor(sent + 50, 10_000);
    }
    expect(inbox.messages.length).toBe(total);
    expect(gw.gateway.broker.refusals().UNS_ERR_QOS0_DROPPED).toBeGreaterThan(0);
    expect(await closedWithin(stalled, 200)).toBe(false);
  });
});
