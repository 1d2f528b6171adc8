import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox } from '../helpers/mqtt.ts';
import { scrape, scrapeUntil as scrapeMetricsUntil, type Scrape } from '../helpers/prometheus.ts';
import { until } from '../helpers/until.ts';

const mapping = (port: number, deadPort: number) => `devices:
  - name: ghost
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${deadPort} }
    reconnect: { initialMs: 100, maxMs: 200 }
    site: plant
    area: line2
    asset: ghost
    tags:
      - { name: level, register: holding, address: 0, dataType: uint16 }
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

const pool = new ClientPool();
let bank: RegisterBank;
let plc: RunningModbusServer;
let gw: TestGateway;
let port: number;

beforeAll(async () => {
  bank = new RegisterBank();
  const plcPort = await freePort();
  plc = await serveModbusTcp(bank, '127.0.0.1', plcPort);
  // Nothing listens on the ghost's port: its connection attempts fail.
  gw = await startTestGateway({ mappings: { 'press.yaml': mapping(plcPort, await freePort()) }, extra: 'access:\n  anonymousWrite: true\n' });
  port = gw.gateway.http?.port ?? 0;
});

afterAll(async () => {
  await pool.endAll();
  await gw?.stop();
  await plc?.close();
});

/** Scrapes until `condition` holds on a scrape; returns that scrape. */
const scrapeUntil = (condition: (s: Scrape) => boolean, withinMs = 5000) => scrapeMetricsUntil(port, condition, withinMs);

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const press = { device: 'press' };

describe('GET /metrics (Prometheus text, parsed) with a real Modbus server and MQTT clients', () => {
  it('serves the per-device read counts and latency from the connector worker, moving with every poll', async () => {
    expect(port).toBeGreaterThan(0);
    const first = await scrapeUntil((s) => s.value('uns_device_reads_total', press) > 0);
    expect(first.types.get('uns_device_reads_total')).toBe('counter');
    expect(first.types.get('uns_device_read_duration_seconds')).toBe('histogram');
    expect(first.value('uns_device_state', { device: 'press', state: 'connected' })).toBe(1);
    expect(first.value('uns_device_state', { device: 'press', state: 'error' })).toBe(0);
    const later = await scrapeUntil((s) => s.value('uns_device_reads_total', press) >= first.value('uns_device_reads_total', press) + 5);
    const reads = later.value('uns_device_reads_total', press);
    expect(reads).toBeGreaterThanOrEqual(first.value('uns_device_reads_total', press) + 5);
    // Every read answered was timed: the histogram counts them all, its buckets cumulative up to +Inf.
    expect(later.value('uns_device_read_duration_seconds_count', press)).toBe(reads);
    expect(later.value('uns_device_read_duration_seconds_bucket', { device: 'press', le: '+Inf' })).toBe(reads);
    expect(later.value('uns_device_read_duration_seconds_bucket', { device: 'press', le: '5' })).toBe(reads);
    expect(later.value('uns_device_read_duration_seconds_sum', press)).toBeGreaterThan(0);
    expect(later.value('uns_device_last_success_timestamp_seconds', press)).toBeGreaterThan(Date.now() / 1000 - 5);
    expect(later.value('uns_device_errors_total', press)).toBe(0);
  });

  it('counts the failed connection attempts of a device nobody serves, by code', async () => {
    const s = await scrapeUntil((x) => x.value('uns_device_errors_total', { device: 'ghost', code: ErrorCodes.MODBUS_CONNECTION }) >= 2);
    expect(s.value('uns_device_errors_total', { device: 'ghost', code: ErrorCodes.MODBUS_CONNECTION })).toBeGreaterThanOrEqual(2);
    expect(s.value('uns_device_state', { device: 'ghost', state: 'error' })).toBe(1);
    expect(s.value('uns_device_reads_total', { device: 'ghost' })).toBe(0);
  });

  it('counts a register change as a sample published', async () => {
    const before = await scrapeUntil((s) => s.value('uns_device_samples_total', press) >= 2);
    bank.holding[6] = 250;
    const after = await scrapeUntil((s) => s.value('uns_device_samples_total', press) > before.value('uns_device_samples_total', press));
    expect(after.value('uns_device_samples_total', press)).toBe(before.value('uns_device_samples_total', press) + 1);
  });

  it('counts messages in and out by QoS, bytes, and connected clients', async () => {
    const subscriber = await pool.connect(gw.url());
    const inbox = new Inbox(subscriber);
    await subscriber.subscribeAsync('traffic/#', { qos: 2 });
    const publisher = await pool.connect(gw.url());
    const before = await scrape(port);
    expect(before.value('uns_broker_clients_connected')).toBe(2);
    for (let i = 0; i < 3; i++) await publisher.publishAsync('traffic/a', `q0-${i}`, { qos: 0 });
    for (let i = 0; i < 2; i++) await publisher.publishAsync('traffic/a', `q1-${i}`, { qos: 1 });
    await publisher.publishAsync('traffic/a', 'q2', { qos: 2 });
    await inbox.waitFor(6);
    const after = await scrape(port);
    const delta = (name: string, qos: string) => after.value(name, { qos }) - before.value(name, { qos });
    expect([0, 1, 2].map((qos) => delta('uns_broker_messages_received_total', String(qos)))).toEqual([3, 2, 1]);
    expect([0, 1, 2].map((qos) => delta('uns_broker_messages_sent_total', String(qos)))).toEqual([3, 2, 1]);
    expect(after.value('uns_broker_received_bytes_total')).toBeGreaterThan(before.value('uns_broker_received_bytes_total') + 6 * 'traffic/a'.length);
    expect(after.value('uns_broker_sent_bytes_total')).toBeGreaterThan(before.value('uns_broker_sent_bytes_total') + 6 * 'traffic/a'.length);
    expect(after.value('uns_broker_retained_messages')).toBeGreaterThanOrEqual(2);
  });

  it('counts a write done and a write refused by its code', async () => {
    const client = await pool.connect(gw.url());
    const inbox = new Inbox(client);
    await client.subscribeAsync('plant/line1/press/setpoint/set/result', { qos: 1 });
    await client.publishAsync('plant/line1/press/setpoint/set', '{"value": 1500}', { qos: 1 });
    await client.publishAsync('plant/line1/press/setpoint/set', '{"value": 5000}', { qos: 1 });
    await inbox.waitFor(2);
    // The refused one is answered at once, the other once written and read back.
    expect(inbox.messages.map((m) => (JSON.parse(m.payload) as { ok: boolean }).ok).sort()).toEqual([false, true]);
    const s = await scrape(port);
    expect(s.value('uns_device_writes_total', press)).toBe(1);
    expect(s.value('uns_device_writes_refused_total', { device: 'press', code: ErrorCodes.SET_RANGE })).toBe(1);
    expect(bank.holding[5]).toBe(1500);
  });

  it('serves the store and process figures', async () => {
    const s = await scrape(port);
    expect(s.value('uns_store_database_bytes')).toBeGreaterThan(0);
    expect(s.value('uns_store_writable')).toBe(1);
    expect(s.value('uns_store_commit_duration_seconds_count')).toBeGreaterThan(0);
    expect(s.value('process_resident_memory_bytes')).toBeGreaterThan(10e6);
    expect(s.value('nodejs_heap_size_used_bytes')).toBeGreaterThan(1e6);
    expect(s.value('nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
    expect(s.value('nodejs_eventloop_utilization_ratio')).toBeGreaterThan(0);
    expect(s.value('nodejs_eventloop_utilization_ratio')).toBeLessThanOrEqual(1);
  });
});

describe('GET /healthz and /readyz', () => {
  it('is healthy, turns 503 naming the store while the disk is full, and healthy again once it has room', async () => {
    expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok', checks: { broker: { ok: true }, store: { ok: true } } } });

    const historian = await pool.connect(gw.url(), { clientId: 'historian', clean: false });
    await historian.subscribeAsync('disk/#', { qos: 1 });
    await historian.endAsync();
    const store = gw.gateway.store!;
    store.persistence.writer.flush();
    // A real SQLITE_FULL: the database may not grow by one more page.
    const db = store.database;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const pub = await pool.connect(gw.url());
    const refused = new Promise<void>((resolve) => pub.once('close', () => resolve()));
    pub.publish('disk/v', 'y'.repeat(64 * 1024), { qos: 1 });
    await refused;

    const failing = await get('/healthz');
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({
      status: 'failing',
      failing: [{ part: 'store', reason: expect.stringMatching(/^the store cannot be written: .*full/) }],
      checks: { broker: { ok: true }, store: { ok: false } },
    });
    expect((await scrape(port)).value('uns_store_writable')).toBe(0);

    db.pragma('max_page_count = 1073741823');
    await until(() => !store.persistence.writer.stats.failing, 5000);
    expect(await get('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('answers 404 elsewhere, and /readyz 503 as soon as the gateway stops', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/nothing`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
    await pool.endAll();
    const stopped = gw.gateway.stop();
    expect(await get('/readyz')).toEqual({ status: 503, body: { status: 'stopping' } });
    await stopped;
    await expect(fetch(`http://127.0.0.1:${port}/readyz`)).rejects.toThrow();
  });
});

describe('http: settings', () => {
  it('serves only the probes with metrics: false', async () => {
    const other = await startTestGateway({ http: '  port: 0\n  metrics: false' });
    try {
      const at = `http://127.0.0.1:${other.gateway.http?.port ?? 0}`;
      expect((await fetch(`${at}/metrics`)).status).toBe(404);
      expect((await fetch(`${at}/healthz`)).status).toBe(200);
    } finally {
      await other.stop();
    }
  });

  it('refuses to start on a port in use, naming http.port', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const busy = (taken.address() as AddressInfo).port;
    try {
      await expect(startTestGateway({ http: `  port: ${busy}` })).rejects.toMatchObject({
        code: ErrorCodes.PORT_IN_USE,
        message: expect.stringContaining(`HTTP listener 127.0.0.1:${busy} (http.port): port ${busy} is already in use`),
      });
    } finally {
      taken.close();
    }
  });
});
