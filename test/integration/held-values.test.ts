import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { createLogger } from '../../src/log.ts';
import { openStore } from '../../src/store/store.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep, type Received } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const DEVICE = (port: number) => `devices:
  - name: press-plc
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    timeoutMs: 3000
    pollGroups: { default: { intervalMs: 100 } }
    reconnect: { initialMs: 100, maxMs: 200 }
    site: plant
    area: line1
    asset: press
    tags:
      - { name: pressure, register: holding, address: 0, dataType: float32, unit: bar }
      - { name: energy, register: holding, address: 30, dataType: int64 }
`;
const PRESSURE = 'plant/line1/press/pressure';
const ENERGY = 'plant/line1/press/energy';
const DEVICE_STATUS = '_gateway/test-gw/devices/press-plc/status';

function fillBank(): RegisterBank {
  const bank = new RegisterBank();
  bank.setFloat32('holding', 0, 4.25);
  // 2^53 + 1: a double would round it.
  [0x0020, 0x0000, 0x0000, 0x0001].forEach((word, i) => (bank.holding[30 + i] = word));
  return bank;
}

const pool = new ClientPool();
const gateways: TestGateway[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  await pool.endAll();
  for (const gw of gateways.splice(0)) await gw.stop();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startGateway(options: { dir?: TempDir; mapping?: string }): Promise<TestGateway> {
  const gw = await startTestGateway({ ...(options.dir ? { dir: options.dir } : {}), ...(options.mapping ? { mappings: { 'press.yaml': options.mapping } } : {}) });
  gateways.push(gw);
  // A folder handed in is left in place by stop().
  if (options.dir) cleanups.push(() => options.dir?.remove());
  return gw;
}

async function modbusServer(port: number): Promise<RunningModbusServer> {
  const server = await serveModbusTcp(fillBank(), '127.0.0.1', port);
  cleanups.push(() => server.close());
  return server;
}

/** A "device" that accepts the connection and never answers: nothing is read until it times out. */
async function silentDevice(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let open = true;
  const close = () =>
    new Promise<void>((resolve) => {
      if (!open) return resolve();
      open = false;
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  cleanups.push(close);
  return { port: (server.address() as AddressInfo).port, close };
}

async function waitUntil(inbox: Inbox, found: (m: Received) => boolean, what: string, timeoutMs = 5000): Promise<Received> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = inbox.messages.find(found);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms: ${JSON.stringify(inbox.messages.slice(-5))}`);
    await sleep(20);
  }
}

/** The retained payloads a new subscriber gets, by topic. */
async function retainedFor(gw: TestGateway, topics: string[]): Promise<Map<string, Received>> {
  const sub = await pool.connect(gw.url());
  const inbox = new Inbox(sub);
  await sub.subscribeAsync(topics, { qos: 1 });
  await inbox.waitFor(topics.length);
  return new Map(inbox.messages.map((m) => [m.topic, m]));
}

const parsed = (m: Received | undefined): Record<string, unknown> => JSON.parse(m?.payload ?? '{}') as Record<string, unknown>;

describe('a clean stop', () => {
  it('publishes the device status stopped and every held value uncertain with UNS_ERR_GATEWAY_STOPPED, to subscribers and the store', async () => {
    const port = await freePort();
    await modbusServer(port);
    const first = await startGateway({ mapping: DEVICE(port) });
    const sub = await pool.connect(first.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(['plant/line1/press/+', DEVICE_STATUS], { qos: 1 });
    const good = await waitUntil(inbox, (m) => m.topic === PRESSURE && m.payload.includes('"good"'), 'good pressure');
    const goodEnergy = await waitUntil(inbox, (m) => m.topic === ENERGY && m.payload.includes('"good"'), 'good energy');
    await waitUntil(inbox, (m) => m.topic === DEVICE_STATUS && parsed(m).state === 'connected', 'connected status');
    const { timestamp } = parsed(good);
    const before = inbox.messages.length;

    await first.gateway.stop();

    const atStop = inbox.messages.slice(before);
    expect(atStop.filter((m) => m.topic === PRESSURE).map((m) => m.payload)).toEqual([
      `{"value":4.25,"timestamp":${String(timestamp)},"quality":"uncertain","status":"${ErrorCodes.GATEWAY_STOPPED}","unit":"bar"}`,
    ]);
    expect(atStop.filter((m) => m.topic === ENERGY).map((m) => m.payload)).toEqual([
      `{"value":9007199254740993,"timestamp":${String(parsed(goodEnergy).timestamp)},"quality":"uncertain","status":"${ErrorCodes.GATEWAY_STOPPED}"}`,
    ]);
    expect(atStop.filter((m) => m.topic === DEVICE_STATUS).map((m) => parsed(m))).toEqual([{ state: 'stopped', timestamp: expect.any(Number) }]);

    // The same data folder, reopened by a gateway without devices: what the store kept.
    gateways.splice(gateways.indexOf(first), 1);
    const second = await startGateway({ dir: first.dir });
    const retained = await retainedFor(second, [PRESSURE, ENERGY, DEVICE_STATUS]);
    expect(parsed(retained.get(PRESSURE))).toEqual({ value: 4.25, timestamp, quality: 'uncertain', status: ErrorCodes.GATEWAY_STOPPED, unit: 'bar' });
    expect(retained.get(ENERGY)?.payload).toContain('"value":9007199254740993,');
    expect(parsed(retained.get(ENERGY))).toMatchObject({ quality: 'uncertain', status: ErrorCodes.GATEWAY_STOPPED });
    expect(parsed(retained.get(DEVICE_STATUS))).toMatchObject({ state: 'stopped' });
  });
});

describe('a start after a crash', () => {
  /** What a gateway killed mid-run leaves: good values in the store, minutes old. */
  async function crashedDataDir(timestamp: number): Promise<TempDir> {
    const dir = makeTempDir();
    const store = openStore(
      { dataDir: './data', engine: 'sqlite', durability: 'full', maxQueuedPerClient: 100, maxSizeMB: 64 },
      join(dir.path, 'data'),
      createLogger('silent'),
    );
    const retained = (topic: string, payload: string) =>
      store.persistence.storeRetained({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false });
    await retained(PRESSURE, `{"value":3.5,"timestamp":${timestamp},"quality":"good","unit":"bar"}`);
    await retained(ENERGY, `{"value":9007199254740995,"timestamp":${timestamp},"quality":"good"}`);
    await store.close();
    return dir;
  }

  it('serves good values from before the start as uncertain with UNS_ERR_VALUE_STALE until the first fresh reading', async () => {
    const old = Date.now() - 10 * 60_000;
    const dir = await crashedDataDir(old);
    const device = await silentDevice();
    const startedAt = Date.now();
    const gw = await startGateway({ dir, mapping: DEVICE(device.port) });

    const retained = await retainedFor(gw, [PRESSURE, ENERGY]);
    expect(retained.get(PRESSURE)?.payload).toBe(`{"value":3.5,"timestamp":${old},"quality":"uncertain","status":"${ErrorCodes.VALUE_STALE}","unit":"bar"}`);
    expect(retained.get(ENERGY)?.payload).toBe(`{"value":9007199254740995,"timestamp":${old},"quality":"uncertain","status":"${ErrorCodes.VALUE_STALE}"}`);

    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync(PRESSURE, { qos: 1 });
    await device.close();
    await modbusServer(device.port);
    const fresh = await waitUntil(inbox, (m) => m.payload.includes('"good"'), 'good pressure');
    expect(parsed(fresh)).toEqual({ value: 4.25, timestamp: expect.any(Number), quality: 'good', unit: 'bar' });
    expect(parsed(fresh).timestamp).toBeGreaterThanOrEqual(startedAt);
    expect(inbox.messages.filter((m) => m.payload.includes('"good"') && parsed(m).timestamp === old)).toEqual([]);
  });
});
