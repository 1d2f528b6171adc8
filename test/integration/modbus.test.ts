import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileTags } from '../../connectors/modbus/tag-map.ts';
import { planReads } from '../../connectors/modbus/plan.ts';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { modbusDeviceSchema } from '../../schemas/modbus.ts';
import { parse } from 'yaml';
import { hashPassword } from '../../src/broker/passwords.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ModbusFrameCounter } from '../helpers/modbus-frame-counter.ts';
import { ClientPool, Inbox, sleep, type Received } from '../helpers/mqtt.ts';

const DEVICE = (port: number, intervalMs: number) => `devices:
  - name: press-plc
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    unitId: 1
    timeoutMs: 300
    pollGroups: { default: { intervalMs: ${intervalMs} } }
    reconnect: { initialMs: 100, maxMs: 400 }
    site: plant
    area: line1
    asset: press
    tags:
      - { name: pressure, register: holding, address: 0, dataType: float32, unit: bar }
      - { name: temperature, register: holding, address: 2, dataType: int16, scale: 0.1, unit: °C }
      - { name: counter, register: holding, address: 3, dataType: uint32, byteOrder: CDAB }
      - { name: setpoint, register: holding, address: 5, dataType: uint16, writable: true, min: 0, max: 3000 }
      - { name: mode, register: holding, address: 6, dataType: uint16 }
      - { name: alarm-bit, register: holding, address: 10, dataType: bit, bit: 3 }
      - { name: recipe, register: holding, address: 20, dataType: string, length: 5 }
      - { name: energy, register: holding, address: 30, dataType: int64 }
      - { name: motor/speed-setpoint, register: holding, address: 34, dataType: uint16, writable: true, min: 0, max: 3000 }
      - { name: running, register: coil, address: 0, dataType: bool, writable: true }
      - { name: suction, register: input, address: 0, dataType: float32, unit: bar }
`;

const pool = new ClientPool();
let bank: RegisterBank;
let server: RunningModbusServer;
let modbusPort: number;
let gw: TestGateway;
let operatorPassword: string;

function fillBank(): RegisterBank {
  const b = new RegisterBank();
  b.setFloat32('holding', 0, 4.25);
  b.holding[2] = 0xfff6; // -10 → -1.0 °C
  b.holding[3] = 0x0001; // CDAB: low word first → 0x00020001
  b.holding[4] = 0x0002;
  b.holding[5] = 1450;
  b.holding[6] = 2;
  b.holding[10] = 0b1000;
  b.setString('holding', 20, 'MIX-7', 5);
  // 2^53 + 1 = 9007199254740993, past what a double holds exactly.
  [0x0020, 0x0000, 0x0000, 0x0001].forEach((word, i) => (b.holding[30 + i] = word));
  b.coils[0] = 1;
  b.setFloat32('input', 0, 0.75);
  return b;
}

async function startGatewayOn(port: number, intervalMs: number): Promise<TestGateway> {
  const hash = await hashPassword(operatorPassword);
  const viewer = await hashPassword('viewer-pw');
  return startTestGateway({
    mappings: { 'press.yaml': DEVICE(port, intervalMs) },
    extra: `access:\n  allowAnonymous: true\n  anonymousWrite: false\n  users:\n    - { username: operator, password: "${hash}", write: true }\n    - { username: viewer, password: "${viewer}", write: false }\n`,
  });
}

function latestByTopic(messages: Received[]): Map<string, Record<string, unknown>> {
  const latest = new Map<string, Record<string, unknown>>();
  for (const m of messages) latest.set(m.topic, JSON.parse(m.payload) as Record<string, unknown>);
  return latest;
}

beforeAll(async () => {
  operatorPassword = 'op-secret';
  bank = fillBank();
  modbusPort = await freePort();
  server = await serveModbusTcp(bank, '127.0.0.1', modbusPort);
  gw = await startGatewayOn(modbusPort, 100);
});
afterEach(() => pool.endAll());
afterAll(async () => {
  await gw.stop();
  await server.close();
});

describe('Modbus TCP device → namespace', () => {
  it('publishes every tag on its topic with the decoded value', async () => {
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/line1/press/+', { qos: 1 });
    await inbox.waitFor(10);
    const values = Object.fromEntries([...latestByTopic(inbox.messages)].map(([topic, payload]) => [topic.split('/').at(-1), payload.value]));
    expect(values).toEqual({
      pressure: 4.25,
      temperature: -1,
      counter: 0x00020001,
      setpoint: 1450,
      mode: 2,
      'alarm-bit': true,
      recipe: 'MIX-7',
      energy: 9007199254740992, // JSON.parse rounds; the payload text below has every digit
      running: true,
      suction: 0.75,
    });
    const energy = inbox.messages.find((m) => m.topic.endsWith('/energy'));
    expect(energy?.payload).toMatch(/^\{"value":9007199254740993,"timestamp":\d+,"quality":"good"\}$/);
    const pressure = inbox.messages.find((m) => m.topic === 'plant/line1/press/pressure');
    expect(JSON.parse(pressure?.payload ?? '{}')).toEqual({ value: 4.25, timestamp: expect.any(Number), quality: 'good', unit: 'bar' });
    const late = await pool.connect(gw.url());
    const lateInbox = new Inbox(late);
    await late.subscribeAsync('plant/line1/press/pressure', { qos: 1 });
    const [retained] = await lateInbox.waitFor(1);
    expect(retained).toMatchObject({ retain: true, qos: 1 });
  });

  it('publishes by exception: an unchanged register is not republished, a change is', async () => {
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/line1/press/mode', { qos: 1 });
    await inbox.waitFor(1);
    await sleep(500);
    expect(inbox.messages).toHaveLength(1);
    bank.holding[6] = 3;
    const [, changed] = await inbox.waitFor(2);
    expect(JSON.parse(changed?.payload ?? '{}').value).toBe(3);
  });
});

describe('block reads', () => {
  it('sends exactly the planned requests per scan', async () => {
    const counter = new ModbusFrameCounter(modbusPort);
    await counter.listen();
    const single = await startGatewayOn(counter.port, 60_000);
    try {
      const device = modbusDeviceSchema.parse((parse(DEVICE(counter.port, 60_000)) as { devices: unknown[] }).devices[0]);
      const planned = planReads(compileTags(device).map((t) => t.item), device);
      await sleep(800);
      // Nine holding tags spread over 0…34 with holes of at most 10 registers: one FC 3 read.
      expect(planned.map((r) => `${r.table}:${r.start}+${r.count}`)).toEqual(['coil:0+1', 'input:0+2', 'holding:0+35']);
      expect(counter.total()).toBe(planned.length);
      expect(Object.fromEntries(counter.byFunction)).toEqual({ 1: 1, 3: 1, 4: 1 });
    } finally {
      await single.stop();
      await counter.close();
    }
  });
});

describe('write-back', () => {
  async function set(tag: string, payload: string, auth: { username?: string; password?: string } = { username: 'operator', password: operatorPassword }) {
    const client = await pool.connect(gw.url(), auth);
    const inbox = new Inbox(client);
    await client.subscribeAsync(`plant/line1/press/${tag}/set/result`, { qos: 1 });
    await client.publishAsync(`plant/line1/press/${tag}/set`, payload, { qos: 1 });
    const [result] = await inbox.waitFor(1);
    return JSON.parse(result?.payload ?? '{}') as { ok: boolean; id?: string; value?: unknown; error?: { code: string; message: string } };
  }

  it('writes a setpoint to the PLC, reads it back and reports it [FC 6]', async () => {
    const result = await set('setpoint', '{"value": 1800, "id": "w-1"}');
    expect(result).toEqual({ ok: true, id: 'w-1', value: 1800, timestamp: expect.any(Number) });
    expect(bank.holding[5]).toBe(1800);
  });

  it('writes a tag one topic level deeper, through the same /set routing', async () => {
    expect(await set('motor/speed-setpoint', '{"value": 1200, "id": "deep"}')).toMatchObject({ ok: true, id: 'deep', value: 1200 });
    expect(bank.holding[34]).toBe(1200);
  });

  it('writes a coil from a bare JSON value [FC 5]', async () => {
    expect(await set('running', 'false')).toMatchObject({ ok: true, value: false });
    expect(bank.coils[0]).toBe(0);
    expect(await set('running', 'true')).toMatchObject({ ok: true, value: true });
  });

  it.each([
    ['setpoint', '{"value": 5000, "id": "r"}', undefined, 'UNS_ERR_SET_RANGE', '5000 is outside 0 … 3000 for tag setpoint'],
    ['setpoint', '"fast"', undefined, 'UNS_ERR_SET_TYPE', 'tag setpoint takes a number, got "fast"'],
    ['setpoint', 'fast', undefined, 'UNS_ERR_SET_PAYLOAD', 'payload is not JSON: send {"value": …, "id": "…"} or a bare JSON value'],
    ['setpoint', '{"val": 3}', undefined, 'UNS_ERR_SET_PAYLOAD', 'expected {"value": …, "id": "…"}, unknown key val'],
    ['mode', '5', undefined, 'UNS_ERR_SET_NOT_WRITABLE', 'tag press-plc/mode is not mapped writable'],
    ['setpoint', '1000', { username: 'viewer', password: 'viewer-pw' }, 'UNS_ERR_SET_FORBIDDEN', 'user "viewer" may not write plant/line1/press/setpoint (access.roles[].write; access.users[].write for a user without roles)'],
    ['setpoint', '1000', {}, 'UNS_ERR_SET_FORBIDDEN', 'an anonymous client may not write plant/line1/press/setpoint (access.roles[].write; access.users[].write for a user without roles)'],
  ])('refuses %s ← %s without touching the PLC', async (tag, payload, auth, code, message) => {
    const writes: string[] = [];
    bank.onWrite = (table, address) => writes.push(`${table}:${address}`);
    const before = bank.holding[5];
    const result = await set(tag, payload, auth);
    expect(result).toMatchObject({ ok: false, error: { code, message } });
    expect(writes).toEqual([]);
    expect(bank.holding[5]).toBe(before);
    bank.onWrite = () => undefined;
  });
});

describe('faults', () => {
  it('publishes bad quality once when the PLC goes away, and resumes when it is back, without leaking connections', async () => {
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['plant/line1/press/+', '_gateway/test-gw/devices/press-plc/status'], { qos: 1 });
    await inbox.waitFor(11);
    const before = inbox.messages.length;
    await server.close();
    await sleep(2000);
    const during = inbox.messages.slice(before);
    const badPressure = during.filter((m) => m.topic.endsWith('/pressure') && m.payload.includes('"bad"'));
    expect(badPressure).toHaveLength(1);
    expect(JSON.parse(badPressure[0]?.payload ?? '{}')).toMatchObject({ value: 4.25, quality: 'bad', status: 'UNS_ERR_MODBUS_CONNECTION' });
    const badPerTag = new Map<string, number>();
    for (const m of during) if (m.payload.includes('"quality":"bad"')) badPerTag.set(m.topic, (badPerTag.get(m.topic) ?? 0) + 1);
    expect([...badPerTag.values()]).toEqual(Array(10).fill(1));
    const statuses = during.filter((m) => m.topic.startsWith('_gateway')).map((m) => JSON.parse(m.payload).state as string);
    expect(statuses).toContain('error');

    server = await serveModbusTcp(bank, '127.0.0.1', modbusPort);
    const resumed = inbox.messages.length;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !inbox.messages.slice(resumed).some((m) => m.topic.endsWith('/pressure') && m.payload.includes('"good"'))) await sleep(50);
    const back = inbox.messages.slice(resumed).find((m) => m.topic.endsWith('/pressure'));
    expect(JSON.parse(back?.payload ?? '{}')).toMatchObject({ value: 4.25, quality: 'good' });
    await sleep(300);
    expect(server.connections()).toBe(1);
  });
});

describe('isolation', () => {
  it('keeps polling a healthy device at its rate while another one never answers', async () => {
    // A Modbus TCP "device" that accepts connections and never replies: every request times out.
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const blackHole = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const deadPort = (blackHole.address() as import('node:net').AddressInfo).port;
    const healthyBank = new RegisterBank();
    const healthyPort = await freePort();
    const healthy = await serveModbusTcp(healthyBank, '127.0.0.1', healthyPort);
    const device = (name: string, port: number) => `
  - name: ${name}
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    timeoutMs: 500
    pollGroups: { default: { intervalMs: 100 } }
    site: plant
    area: isolation
    asset: ${name}
    tags:
      - { name: counter, register: holding, address: 0, dataType: uint16 }
`;
    const isolated = await startTestGateway({ mappings: { 'two.yaml': `devices:${device('dead', deadPort)}${device('healthy', healthyPort)}` } });
    try {
      const sub = await pool.connect(isolated.url());
      const inbox = new Inbox(sub);
      await sub.subscribeAsync('plant/isolation/healthy/counter', { qos: 0 });
      await inbox.waitFor(1);
      for (let i = 1; i <= 10; i++) {
        healthyBank.holding[0] = i;
        await sleep(150);
      }
      await sleep(300);
      const seen = new Set(inbox.messages.map((m) => JSON.parse(m.payload).value as number));
      // Polled every 100 ms, changed every 150 ms: every value is read despite the dead neighbour's 500 ms timeouts.
      expect([...Array(10).keys()].map((i) => i + 1).filter((v) => !seen.has(v))).toEqual([]);
    } finally {
      await isolated.stop();
      await healthy.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });
});
