import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { encodePayload } from '../../src/sparkplug/codec.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, sleep } from '../helpers/mqtt.ts';
import { decodePayload, int32FromUint32, type DecodedPayload } from '../helpers/sparkplug-decoder.ts';
import { until } from '../helpers/until.ts';

const mapping = (port: number) => `devices:
  - name: press
    protocol: modbus
    pollGroups: { default: { intervalMs: 100 } }
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    site: plant
    area: line1
    asset: press
    tags:
      - { name: setpoint, register: holding, address: 5, dataType: uint16, writable: true, min: 0, max: 3000 }
      - { name: temperature, register: holding, address: 6, dataType: int16, unit: degC }
`;

interface Seen {
  type: string;
  device: string | undefined;
  payload: DecodedPayload;
}

const pool = new ClientPool();
let bank: RegisterBank;
let plc: RunningModbusServer;
let plcPort: number;
let gw: TestGateway;
let host: MqttClient;
const seen: Seen[] = [];

beforeAll(async () => {
  bank = new RegisterBank();
  bank.holding[6] = 0xffec; // -20 degC as int16
  plcPort = await freePort();
  plc = await serveModbusTcp(bank, '127.0.0.1', plcPort);
  gw = await startTestGateway({
    mappings: { 'press.yaml': mapping(plcPort) },
    extra: 'access:\n  anonymousWrite: true\nsparkplug:\n  enabled: true\n  groupId: plant\n',
  });
  host = await pool.connect(gw.url());
  host.on('message', (topic, payload) => {
    const [, , type, , device] = topic.split('/');
    // The host's own commands come back to it too: only what the node sends counts here.
    if (type === 'NCMD' || type === 'DCMD') return;
    seen.push({ type: type ?? '', device, payload: decodePayload(payload) });
  });
  await host.subscribeAsync('spBv1.0/plant/+/test-gw/#', { qos: 0 });
});

afterAll(async () => {
  await pool.endAll();
  await gw?.stop();
  await plc?.close();
});

const rebirth = () =>
  host.publishAsync('spBv1.0/plant/NCMD/test-gw', encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', datatype: 11, booleanValue: true }] }));

/** What was seen from the last NBIRTH on. */
function sinceBirth(): Seen[] {
  const at = seen.map((message) => message.type).lastIndexOf('NBIRTH');
  return at < 0 ? [] : seen.slice(at);
}

const metricValue = (message: Seen | undefined, alias: bigint) => message?.payload.metrics.find((metric) => metric.alias === alias)?.value?.value;

describe('Sparkplug B edge node on the embedded broker (real Modbus server, payloads decoded without the encoder)', () => {
  it('answers Rebirth with NBIRTH (bdSeq, Rebirth metric), then DBIRTH with every metric, then DDATA, seq continuous', async () => {
    await until(() => seen.some((message) => message.type === 'DBIRTH'), 10_000);
    await rebirth();
    await until(() => sinceBirth().some((message) => message.type === 'DBIRTH'), 5000);
    bank.holding[5] = 1500;
    await until(() => sinceBirth().some((message) => message.type === 'DDATA'), 5000);
    const stream = sinceBirth();
    expect(stream.map((message) => message.type).slice(0, 2)).toEqual(['NBIRTH', 'DBIRTH']);
    expect(stream.map((message) => Number(message.payload.seq))).toEqual(stream.map((_, index) => index % 256));
    const [nbirth, dbirth] = stream;
    expect(nbirth?.payload.metrics.map((metric) => [metric.name, metric.datatype])).toEqual([
      ['bdSeq', 4],
      ['Node Control/Rebirth', 11],
    ]);
    expect(dbirth?.device).toBe('press');
    const byName = new Map(dbirth?.payload.metrics.map((metric) => [metric.name, metric]));
    expect(byName.get('plant/line1/press/setpoint')).toMatchObject({ alias: 1n, datatype: 6 });
    const temperature = byName.get('plant/line1/press/temperature');
    expect(temperature).toMatchObject({ alias: 2n, datatype: 2 });
    expect(int32FromUint32(Number(temperature?.value?.value))).toBe(-20);
    expect(temperature?.properties?.keys).toEqual(['engUnit']);
    const ddata = stream.find((message) => message.type === 'DDATA');
    expect(ddata?.payload.metrics.every((metric) => metric.name === undefined && metric.alias !== undefined)).toBe(true);
    expect(metricValue(ddata, 1n)).toBe(1500);
  });

  it('writes a DCMD within range to the PLC (and reports the read-back as DDATA); one out of range never reaches it', async () => {
    const dcmd = (value: number) =>
      host.publishAsync('spBv1.0/plant/DCMD/test-gw/press', encodePayload({ timestamp: Date.now(), metrics: [{ name: 'plant/line1/press/setpoint', datatype: 6, intValue: value }] }));
    const before = seen.length;
    await dcmd(2200);
    await until(() => bank.holding[5] === 2200, 5000);
    await until(() => seen.slice(before).some((message) => message.type === 'DDATA' && metricValue(message, 1n) === 2200), 5000);
    await dcmd(9000);
    await sleep(400);
    expect(bank.holding[5]).toBe(2200);
  });

  it('sends DDEATH when the device fails, and DBIRTH when it is back', async () => {
    const before = seen.length;
    await plc.close();
    await until(() => seen.slice(before).some((message) => message.type === 'DDEATH'), 10_000);
    plc = await serveModbusTcp(bank, '127.0.0.1', plcPort);
    await until(() => seen.slice(before).some((message) => message.type === 'DBIRTH'), 15_000);
    const types = seen.slice(before).map((message) => message.type);
    expect(types.indexOf('DDEATH')).toBeLessThan(types.indexOf('DBIRTH'));
    expect(types.slice(types.indexOf('DDEATH') + 1, types.indexOf('DBIRTH'))).not.toContain('DDATA');
  });

  it('lets no client publish as the edge node: such a publish closes its connection and reaches no one', async () => {
    const spoofer = pool.open(gw.url());
    await new Promise<void>((resolve) => spoofer.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => spoofer.once('close', () => resolve()));
    const before = seen.length;
    spoofer.publish('spBv1.0/plant/DDATA/test-gw/press', encodePayload({ timestamp: 1, seq: 99, metrics: [{ alias: 1, intValue: 1 }] }), { qos: 1 });
    await closed;
    await sleep(200);
    expect(seen.slice(before).some((message) => Number(message.payload.seq) === 99 && message.payload.timestamp === 1n)).toBe(false);
  });

  it('publishes NDEATH with the bdSeq of its NBIRTH on a clean stop', async () => {
    const bdSeq = sinceBirth()[0]?.payload.metrics.find((metric) => metric.name === 'bdSeq')?.value?.value;
    expect(typeof bdSeq).toBe('bigint');
    const watcher = await pool.connect(gw.url());
    const deaths: DecodedPayload[] = [];
    watcher.on('message', (_topic, payload) => deaths.push(decodePayload(payload)));
    await watcher.subscribeAsync('spBv1.0/plant/NDEATH/test-gw', { qos: 1 });
    await gw.gateway.stop();
    await until(() => deaths.length === 1, 5000);
    expect(deaths[0]?.metrics.map((metric) => [metric.name, metric.value?.value])).toEqual([['bdSeq', bdSeq]]);
  });
});
