import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { encodePayload } from '../../src/sparkplug/codec.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { hasMosquitto, mosquitto, type MosquittoProcess } from '../helpers/mosquitto.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { decodePayload, type DecodedPayload } from '../helpers/sparkplug-decoder.ts';
import { tcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';

const mapping = (port: number) => `devices:
  - name: press
    protocol: modbus
    pollGroups: { default: { intervalMs: 50 } }
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    site: plant
    area: line1
    asset: press
    tags:
      - { name: count, register: holding, address: 1, dataType: uint16 }
      - { name: setpoint, register: holding, address: 5, dataType: uint16, writable: true, min: 0, max: 3000 }
`;

interface Seen {
  type: string;
  payload: DecodedPayload;
}

const pool = new ClientPool();
let dir: TempDir;
let upstream: MosquittoProcess;
let link: TcpProxy;
let bank: RegisterBank;
let plc: RunningModbusServer;
let gw: TestGateway;
let host: MqttClient;
let local: Inbox;
const seen: Seen[] = [];

beforeAll(async () => {
  if (!hasMosquitto) return;
  dir = makeTempDir();
  upstream = await mosquitto({ dir: dir.path });
  link = await tcpProxy(upstream.port);
  bank = new RegisterBank();
  bank.holding[1] = 100;
  plc = await serveModbusTcp(bank, '127.0.0.1', await freePort());
  host = await pool.connect(upstream.url);
  host.on('message', (topic, payload) => seen.push({ type: topic.split('/')[2] ?? '', payload: decodePayload(payload) }));
  await host.subscribeAsync('spBv1.0/plant/+/test-gw/#', { qos: 1 });
  gw = await startTestGateway({
    mappings: { 'press.yaml': mapping(plc.port) },
    extra: `access:
  roles:
    scada-setpoints: { write: ['plant/line1/press/setpoint'] }
bridges:
  - name: hq
    url: mqtt://127.0.0.1:${link.port}
    reconnect: { minS: 0.1, maxS: 0.3 }
    downlink: { enabled: true, roles: [scada-setpoints] }
sparkplug:
  enabled: true
  groupId: plant
  embedded: false
  bridges: [hq]
`,
  });
  const localClient = await pool.connect(gw.url());
  local = new Inbox(localClient);
  await localClient.subscribeAsync('spBv1.0/#', { qos: 0 });
});

afterAll(async () => {
  if (!hasMosquitto) return;
  await pool.endAll();
  await gw?.stop();
  await plc?.close();
  await link?.close();
  await upstream?.kill();
  dir.remove();
});

const ofType = (type: string) => seen.filter((message) => message.type === type);
const bdSeqOf = (message: Seen | undefined) => message?.payload.metrics.find((metric) => metric.name === 'bdSeq')?.value?.value;
const countValues = (messages: readonly Seen[], historical: boolean) =>
  messages
    .filter((message) => message.type === 'DDATA')
    .flatMap((message) => message.payload.metrics.filter((metric) => metric.alias === 1n && (metric.isHistorical ?? false) === historical).map((metric) => metric.value?.value));

/** Sets the count register and waits until the gateway has read it. */
async function count(value: number): Promise<void> {
  bank.holding[1] = value;
  await until(() => gw.gateway.northbound.latest('press/count')?.value === value, 5000);
}

describe.skipIf(!hasMosquitto)('Sparkplug B on a bridge upstream (real Mosquitto, a link that drops, a real Modbus server)', () => {
  it('births on the upstream before any data, with seq continuous, and publishes nothing on the embedded broker', async () => {
    await until(() => ofType('DBIRTH').length === 1, 10_000);
    await count(101);
    await until(() => countValues(seen, false).includes(101), 5000);
    expect(seen.slice(0, 2).map((message) => message.type)).toEqual(['NBIRTH', 'DBIRTH']);
    expect(seen.map((message) => Number(message.payload.seq))).toEqual(seen.map((_, index) => index));
    expect(local.messages).toEqual([]);
  });

  it('the upstream publishes NDEATH (the connection\'s will) when the link drops; held values follow a new birth, historical, in order', async () => {
    const before = bdSeqOf(ofType('NBIRTH')[0]);
    const from = seen.length;
    link.cut();
    await until(() => ofType('NDEATH').length === 1, 5000);
    expect(bdSeqOf(ofType('NDEATH')[0])).toBe(before);
    for (const value of [301, 302, 303]) await count(value);
    link.restore();
    await until(() => countValues(seen, true).includes(303), 10_000);
    const session = seen.slice(from).filter((message) => message.type !== 'NDEATH');
    expect(session.slice(0, 2).map((message) => message.type)).toEqual(['NBIRTH', 'DBIRTH']);
    // Every connection attempt (CONNECT) takes the next bdSeq, also those the cut link refused.
    expect(Number(bdSeqOf(session[0]))).toBeGreaterThan(Number(before));
    expect(session.map((message) => Number(message.payload.seq))).toEqual(session.map((_, index) => index));
    const held = countValues(session, true);
    expect(held.filter((value) => [301, 302, 303].includes(Number(value)))).toEqual([301, 302, 303]);
    await count(304);
    await until(() => countValues(seen, false).includes(304), 5000);
  });

  it('writes a DCMD from the upstream with the bridge\'s downlink roles; one out of range never reaches the PLC', async () => {
    const dcmd = (value: number) =>
      host.publishAsync('spBv1.0/plant/DCMD/test-gw/press', encodePayload({ timestamp: Date.now(), metrics: [{ name: 'plant/line1/press/setpoint', datatype: 6, intValue: value }] }), { qos: 1 });
    await dcmd(2200);
    await until(() => bank.holding[5] === 2200, 5000);
    await dcmd(9000);
    await sleep(300);
    expect(bank.holding[5]).toBe(2200);
  });

  it('a clean stop publishes NDEATH with the bdSeq of the running session', async () => {
    const last = bdSeqOf(ofType('NBIRTH').at(-1));
    await gw.stop();
    await until(() => ofType('NDEATH').length === 2, 5000);
    expect(bdSeqOf(ofType('NDEATH')[1])).toBe(last);
  });
});
