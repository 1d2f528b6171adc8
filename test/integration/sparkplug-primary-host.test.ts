import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, sleep } from '../helpers/mqtt.ts';
import { decodePayload, type DecodedPayload } from '../helpers/sparkplug-decoder.ts';
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
`;

interface Seen {
  type: string;
  payload: DecodedPayload;
}

const pool = new ClientPool();
let bank: RegisterBank;
let plc: RunningModbusServer;
let gw: TestGateway;
let host: MqttClient;
const seen: Seen[] = [];

beforeAll(async () => {
  bank = new RegisterBank();
  const port = await freePort();
  plc = await serveModbusTcp(bank, '127.0.0.1', port);
  gw = await startTestGateway({ mappings: { 'press.yaml': mapping(port) }, extra: 'sparkplug:\n  enabled: true\n  groupId: plant\n  primaryHostId: scada\n' });
  host = await pool.connect(gw.url());
  host.on('message', (topic, payload) => seen.push({ type: topic.split('/')[2] ?? '', payload: decodePayload(payload) }));
  await host.subscribeAsync('spBv1.0/plant/+/test-gw/#', { qos: 0 });
});

afterAll(async () => {
  await pool.endAll();
  await gw?.stop();
  await plc?.close();
});

const state = (online: boolean) => host.publishAsync('spBv1.0/STATE/scada', JSON.stringify({ online, timestamp: Date.now() }), { qos: 1, retain: true });

/** Sets the register and waits until the gateway has read it (a loaded machine may take more than a poll). */
async function count(value: number): Promise<void> {
  bank.holding[1] = value;
  await until(() => gw.gateway.northbound.latest('press/count')?.value === value, 5000);
}

const values = (messages: readonly Seen[], historical: boolean) =>
  messages.filter((message) => message.type === 'DDATA').flatMap((message) => message.payload.metrics.filter((metric) => (metric.isHistorical ?? false) === historical).map((metric) => metric.value?.value));

describe('Sparkplug B primary host awareness (spBv1.0/STATE/<host>)', () => {
  it('holds everything while the host is offline, then sends a fresh birth and the held values marked historical, in order', async () => {
    await count(111);
    await count(222);
    expect(seen).toEqual([]);
    await state(true);
    await until(() => values(seen, true).includes(222), 5000);
    expect(seen.slice(0, 2).map((message) => message.type)).toEqual(['NBIRTH', 'DBIRTH']);
    const held = values(seen, true);
    expect(held.indexOf(111)).toBeGreaterThanOrEqual(0);
    expect(held.indexOf(111)).toBeLessThan(held.indexOf(222));
    expect(seen.map((message) => Number(message.payload.seq))).toEqual(seen.map((_, index) => index));
    await count(223);
    await until(() => values(seen, false).includes(223), 5000);
  });

  it('holds again while the host goes offline, and nothing held is lost when it is back', async () => {
    await state(false);
    await sleep(100);
    const before = seen.length;
    await count(333);
    await count(334);
    expect(seen.length).toBe(before);
    await state(true);
    await until(() => values(seen.slice(before), true).includes(334), 5000);
    const after = seen.slice(before);
    expect(after.slice(0, 2).map((message) => message.type)).toEqual(['NBIRTH', 'DBIRTH']);
    expect(values(after, true).filter((value) => value === 333 || value === 334)).toEqual([333, 334]);
  });
});
