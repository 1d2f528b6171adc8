import { DataType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import { Inbox, sleep, type Received } from '../helpers/mqtt.ts';
import { useOpcuaGateway } from '../helpers/opcua-gateway.ts';
import { startOpcuaServer } from '../helpers/opcua-server.ts';
import { until } from '../helpers/until.ts';

const VARIABLES = [
  { name: 'Pressure', dataType: DataType.Double, value: 4.25 },
  { name: 'Count', dataType: DataType.Int32, value: -7 },
  { name: 'Running', dataType: DataType.Boolean, value: true },
  { name: 'Recipe', dataType: DataType.String, value: 'MIX-7' },
  { name: 'Started', dataType: DataType.DateTime, value: new Date('2026-11-26T01:02:03.004Z') },
  { name: 'Energy', dataType: DataType.Int64, value: [0x00200000, 0x00000001] },
  { name: 'Profile', dataType: DataType.Double, value: [1.5, 2.5, 3.5], array: true },
  { name: 'Setpoint', dataType: DataType.Int16, value: 10, writable: true },
  { name: 'Locked', dataType: DataType.Int16, value: 1 },
  { name: 'Temperature', dataType: DataType.Double, value: 21.5, unit: 'degree_celsius' as const },
];

const mapping = (endpoint: string) => `devices:
  - name: line-plc
    protocol: opcua
    endpoint: ${endpoint}
    publishingIntervalMs: 50
    samplingIntervalMs: 20
    maxItemsPerCall: 1000
    reconnect: { initialMs: 200, maxMs: 1000 }
    site: plant
    area: line2
    asset: filler
    tags:
      - { name: pressure, nodeId: "ns=1;s=Plant.Pressure", unit: bar }
      - { name: count, nodeId: "ns=1;s=Plant.Count" }
      - { name: running, nodeId: "ns=1;s=Plant.Running" }
      - { name: recipe, nodeId: "ns=1;s=Plant.Recipe" }
      - { name: started, nodeId: "ns=1;s=Plant.Started" }
      - { name: energy, nodeId: "ns=1;s=Plant.Energy" }
      - { name: profile, nodeId: "/Objects/1:Plant/1:Profile" }
      - { name: setpoint, nodeId: "ns=1;s=Plant.Setpoint", writable: true, min: 0, max: 100 }
      - { name: locked, nodeId: "ns=1;s=Plant.Locked", writable: true }
      - { name: ghost, nodeId: "ns=1;s=Plant.DoesNotExist" }
      - { name: temperature, nodeId: "ns=1;s=Plant.Temperature" }
`;

/** An OPC UA session takes seconds to set up on a loaded 2-core machine. */
const OPCUA_WAIT_MS = 30_000;

const opc = useOpcuaGateway(
  // The server allows 4 monitored items, node reads and browse-path translations per call: the gateway must
  // look its 11 tags up (data types, units) and monitor them in batches.
  (dir) => ({ pkiDir: dir.path, variables: VARIABLES, maxItemsPerCall: 4 }),
  (server) => ({ mappings: { 'line.yaml': mapping(server.endpoint) }, extra: 'access:\n  anonymousWrite: true\n' }),
);

function latest(messages: Received[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const m of messages) out[m.topic.split('/').at(-1) ?? ''] = JSON.parse(m.payload) as Record<string, unknown>;
  return out;
}

describe('OPC UA server → namespace', () => {
  it('publishes scalar and array values in batches within the server limit, and a missing node as that tag alone bad', async () => {
    const sub = await opc.pool.connect(opc.gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/line2/filler/+', { qos: 1 });
    await until(() => Object.keys(latest(inbox.messages)).length === 11, OPCUA_WAIT_MS);
    const values = latest(inbox.messages);
    expect(Object.fromEntries(Object.entries(values).map(([tag, payload]) => [tag, payload.value]))).toEqual({
      pressure: 4.25,
      count: -7,
      running: true,
      recipe: 'MIX-7',
      started: '2026-11-26T01:02:03.004Z',
      energy: 9007199254740992,
      profile: [1.5, 2.5, 3.5],
      setpoint: 10,
      locked: 1,
      ghost: null,
      temperature: 21.5,
    });
    // No unit in the mapping: it comes from the node's EngineeringUnits.
    expect(values.temperature).toMatchObject({ quality: 'good', unit: '°C' });
    expect(values.ghost).toMatchObject({ quality: 'bad', status: 'BadNodeIdUnknown' });
    expect(values.pressure).toMatchObject({ quality: 'good', unit: 'bar' });
    expect(inbox.messages.find((m) => m.topic.endsWith('/energy'))?.payload).toMatch(/^\{"value":9007199254740993,/);
  });

  it("offers the server 64 KB send chunks, not node-opcua's 640 KB (a whole chunk is allocated per request)", () => {
    expect(opc.server.helloSendBufferSizes().length).toBeGreaterThan(0);
    expect([...new Set(opc.server.helloSendBufferSizes())]).toEqual([64 * 1024]);
  });

  it('takes the source timestamp and follows changes', async () => {
    const sub = await opc.pool.connect(opc.gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/line2/filler/pressure', { qos: 1 });
    await inbox.waitFor(1);
    const before = Date.now();
    opc.server.set('Pressure', 5.5);
    await until(() => inbox.messages.some((m) => JSON.parse(m.payload).value === 5.5), OPCUA_WAIT_MS);
    const changed = JSON.parse(inbox.messages.at(-1)?.payload ?? '{}') as { timestamp: number };
    expect(changed.timestamp).toBeGreaterThanOrEqual(before - 5);
    expect(changed.timestamp).toBeLessThanOrEqual(Date.now());
  });
});

describe('OPC UA write-back', () => {
  async function set(tag: string, payload: string) {
    const client = await opc.pool.connect(opc.gw.url());
    const inbox = new Inbox(client);
    await client.subscribeAsync(`plant/line2/filler/${tag}/set/result`, { qos: 1 });
    await client.publishAsync(`plant/line2/filler/${tag}/set`, payload, { qos: 1 });
    const [result] = await inbox.waitFor(1, 10_000);
    return JSON.parse(result?.payload ?? '{}') as Record<string, unknown>;
  }

  it('coerces to the node DataType, writes, reads back', async () => {
    expect(await set('setpoint', '{"value": 42, "id": "ua-1"}')).toEqual({ ok: true, id: 'ua-1', value: 42, timestamp: expect.any(Number) });
    expect(opc.server.get('Setpoint')).toBe(42);
  });

  it('refuses out of range, non-integers for Int16, non-writable tags, and reports the server StatusCode', async () => {
    expect(await set('setpoint', '150')).toMatchObject({ ok: false, error: { code: 'UNS_ERR_SET_RANGE' } });
    expect(await set('setpoint', '4.5')).toMatchObject({ ok: false, error: { code: 'UNS_ERR_WRITE_INVALID', message: 'Int16 takes an integer, got "4.5"' } });
    expect(await set('pressure', '1')).toMatchObject({ ok: false, error: { code: 'UNS_ERR_SET_NOT_WRITABLE' } });
    const locked = await set('locked', '5');
    expect(locked).toMatchObject({ ok: false, error: { code: 'UNS_ERR_OPCUA_STATUS' } });
    expect((locked.error as { message: string }).message).toMatch(/^the server refused the write: BadNotWritable/);
    expect(opc.server.get('Setpoint')).toBe(42);
    expect(opc.server.get('Locked')).toBe(1);
  });
});

describe('OPC UA server restart', () => {
  it('resumes every tag on a new session, publishes bad once per tag, and leaves one session on the server', async () => {
    const sub = await opc.pool.connect(opc.gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/line2/filler/+', { qos: 1 });
    await until(() => Object.keys(latest(inbox.messages)).length === 11, OPCUA_WAIT_MS);
    const port = opc.server.port;
    const mark = inbox.messages.length;
    await opc.server.stop();
    await sleep(1500);
    opc.server = await startOpcuaServer({ pkiDir: opc.dir.path, variables: VARIABLES.map((v) => (v.name === 'Pressure' ? { ...v, value: 6.75 } : v)), port, maxItemsPerCall: 4 });
    await until(() => inbox.messages.slice(mark).some((m) => m.topic.endsWith('/pressure') && JSON.parse(m.payload).value === 6.75), 20_000);
    await sleep(500);
    const after = inbox.messages.slice(mark);
    const badPerTag = new Map<string, number>();
    for (const m of after) if (JSON.parse(m.payload).quality === 'bad') badPerTag.set(m.topic, (badPerTag.get(m.topic) ?? 0) + 1);
    // Every tag went bad exactly once. The missing node was bad already: it changes status twice,
    // to the connection error and back to BadNodeIdUnknown.
    expect(Object.fromEntries(badPerTag)).toEqual(
      Object.fromEntries([...badPerTag.keys()].map((topic) => [topic, topic.endsWith('/ghost') ? 2 : 1])),
    );
    expect(badPerTag.size).toBe(11);
    await until(() => opc.server.sessionCount() === 1, OPCUA_WAIT_MS);
    await sleep(1000);
    expect(opc.server.sessionCount()).toBe(1);
  }, 60_000);
});
