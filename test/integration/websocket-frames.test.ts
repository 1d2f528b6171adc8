import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { hashPassword } from '../../src/broker/passwords.ts';
import { selfSignedCertificate } from '../helpers/certificates.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { mqttString, packetId, rawConnectPacket, rawPacket } from '../helpers/raw-mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const pool = new ClientPool();
let gw: TestGateway;
let certDir: TempDir;
let cert: string;

const WS_LISTENER = `
    - protocol: ws
      host: 127.0.0.1
      port: 0
      path: /mqtt`;
const WSS_LISTENER = `
    - protocol: wss
      host: 127.0.0.1
      port: 0
      path: /mqtt
      cert: tls/cert.pem
      key: tls/key.pem`;

beforeAll(async () => {
  certDir = makeTempDir();
  const pair = selfSignedCertificate(certDir.path);
  cert = pair.cert;
  const hash = await hashPassword('s3cret');
  gw = await startTestGateway({
    listeners: `${WS_LISTENER}${WSS_LISTENER}`,
    files: { 'tls/cert.pem': pair.cert, 'tls/key.pem': pair.key },
    extra: `access:\n  users:\n    - { username: scada, password: "${hash}", write: true }\n`,
  });
});

afterEach(async () => {
  await pool.endAll();
});

afterAll(async () => {
  await gw.stop();
  certDir.remove();
});

const url = (protocol: 'ws' | 'wss') => `${protocol}://127.0.0.1:${gw.port(protocol)}/mqtt`;
const SCADA = { username: 'scada', password: 's3cret' };

/** What an MQTT.js client's attempt comes to: 0 (connected), a CONNACK return code, or closed without any CONNACK. */
function connackCode(protocol: 'ws' | 'wss', password: string): Promise<number | 'closed'> {
  const client = pool.open(url(protocol), { ca: cert, username: 'scada', password });
  return new Promise((resolve) => {
    client.once('connect', () => resolve(0));
    client.on('error', (error: Error & { code?: unknown }) => {
      if (typeof error.code === 'number') resolve(error.code);
    });
    client.once('close', () => resolve('closed'));
  });
}

/** A raw WebSocket client that records every message it gets (the gateway sends each in one frame). */
async function rawWebSocket(): Promise<{ socket: WebSocket; messages: Buffer[]; waitFor(count: number): Promise<Buffer[]> }> {
  const socket = new WebSocket(url('ws'), 'mqtt');
  const messages: Buffer[] = [];
  socket.on('message', (data: Buffer) => messages.push(data));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const waitFor = async (count: number) => {
    const deadline = Date.now() + 5000;
    while (messages.length < count && Date.now() < deadline) await sleep(10);
    return messages;
  };
  return { socket, messages, waitFor };
}

describe('MQTT over WebSocket: one WebSocket message per packet, a refused CONNECT gets its CONNACK', () => {
  it.each(['ws', 'wss'] as const)('%s: a wrong password gets CONNACK 4 before the connection closes; the right one connects', async (protocol) => {
    expect(await connackCode(protocol, 'wrong')).toBe(4);
    expect(await connackCode(protocol, 's3cret')).toBe(0);
  });

  it('ws: CONNACK, SUBACK and a PUBLISH each arrive as one WebSocket message holding the whole packet', async () => {
    const raw = await rawWebSocket();
    try {
      raw.socket.send(rawConnectPacket({ clientId: 'frames', ...SCADA }));
      expect(await raw.waitFor(1)).toEqual([Buffer.from([0x20, 0x02, 0x00, 0x00])]);
      raw.socket.send(rawPacket(0x82, packetId(7), mqttString('frames/t'), Buffer.from([1])));
      await raw.waitFor(2);
      expect(raw.messages[1]).toEqual(Buffer.from([0x90, 0x03, 0x00, 0x07, 0x01]));

      const publisher = await pool.connect(url('ws'), SCADA);
      const payload = Buffer.alloc(300, 0x61);
      await publisher.publishAsync('frames/t', payload, { qos: 1 });
      await raw.waitFor(3);
      // QoS 1 PUBLISH: header 0x32, remaining length 2 bytes (312 = 0xb8 0x02), topic, packet id, payload.
      const publish = raw.messages[2];
      expect(publish?.subarray(0, 3)).toEqual(Buffer.from([0x32, 0xb8, 0x02]));
      expect(publish?.subarray(3, 13)).toEqual(mqttString('frames/t'));
      expect(publish?.subarray(15)).toEqual(payload);
      expect(raw.messages).toHaveLength(3);
    } finally {
      raw.socket.terminate();
    }
  });

  it.each(['ws', 'wss'] as const)('%s: QoS 1 round trips arrive whole and in order, small and 200 kB', async (protocol) => {
    const subscriber = await pool.connect(url(protocol), { ca: cert, ...SCADA, clientId: `sub-${protocol}` });
    const inbox = new Inbox(subscriber);
    await subscriber.subscribeAsync('rt/#', { qos: 1 });
    const publisher = await pool.connect(url(protocol), { ca: cert, ...SCADA, clientId: `pub-${protocol}` });
    const big = 'x'.repeat(200_000);
    const sent = Array.from({ length: 50 }, (_, i) => (i === 25 ? big : `m${i}`));
    await Promise.all(sent.map((payload, i) => publisher.publishAsync(`rt/${i}`, payload, { qos: 1 })));
    const received = await inbox.waitFor(sent.length);
    expect(received.map((m) => m.payload)).toEqual(sent);
    expect(received.map((m) => m.topic)).toEqual(sent.map((_, i) => `rt/${i}`));
    expect(received.every((m) => m.qos === 1)).toBe(true);
  });
});

describe('MQTT over WebSocket: a subscriber that stops reading costs only itself', () => {
  it('ws: a stalled QoS 1 subscriber is disconnected at its byte bound while another one receives every message', async () => {
    const slow = await startTestGateway({
      listeners: `${WS_LISTENER}\n  drainTimeoutMs: 60000\n  slowSubscriber:\n    dropQos0Bytes: 65536\n    disconnectBytes: 262144`,
    });
    try {
      const wsUrl = `ws://127.0.0.1:${slow.port('ws')}/mqtt`;
      const stalled = new WebSocket(wsUrl, 'mqtt');
      const frames: Buffer[] = [];
      stalled.on('message', (data: Buffer) => frames.push(data));
      const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
      await new Promise<void>((resolve) => stalled.once('open', () => resolve()));
      stalled.send(rawConnectPacket({ clientId: 'stalled' }));
      stalled.send(rawPacket(0x82, packetId(1), mqttString('slow/#'), Buffer.from([1])));
      while (frames.length < 2) await sleep(10);
      stalled.pause();

      const reader = await pool.connect(wsUrl, { clientId: 'reader' });
      const inbox = new Inbox(reader);
      await reader.subscribeAsync('slow/#', { qos: 1 });
      const publisher = await pool.connect(wsUrl, { clientId: 'publisher' });
      const payload = Buffer.alloc(16_384, 0x61);
      let sent = 0;
      while (slow.gateway.broker.refusals().UNS_ERR_SLOW_SUBSCRIBER === undefined && sent < 3000) {
        await Promise.all(Array.from({ length: 50 }, (_, i) => publisher.publishAsync(`slow/${sent + i}`, payload, { qos: 1 })));
        sent += 50;
      }
      expect(slow.gateway.broker.refusals()).toMatchObject({ UNS_ERR_SLOW_SUBSCRIBER: 1 });
      expect((await inbox.waitFor(sent, 10_000)).length).toBe(sent);
      stalled.resume();
      await closed;
    } finally {
      await pool.endAll();
      await slow.stop();
    }
  });
});
