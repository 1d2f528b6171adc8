import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, sleep } from '../helpers/mqtt.ts';
import { tcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';
import { until } from '../helpers/until.ts';

const POLL_MS = 100;

const press = (port: number, tags: string) => `devices:
  - name: press
    protocol: modbus
    pollGroups: { default: { intervalMs: ${POLL_MS} } }
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    site: plant
    area: line1
    asset: press
    tags:
${tags}`;

const PRESS_TAGS = `      - { name: count, register: holding, address: 1, dataType: uint16 }
      - { name: speed, register: holding, address: 2, dataType: uint16 }
      - { name: temp, register: holding, address: 3, dataType: uint16 }
`;

/** count unchanged, speed with a deadband now, temp removed, pressure added. */
const PRESS_TAGS_EDITED = `      - { name: count, register: holding, address: 1, dataType: uint16 }
      - { name: speed, register: holding, address: 2, dataType: uint16, deadband: { absolute: 50 } }
      - { name: pressure, register: holding, address: 4, dataType: uint16 }
`;

const pump = (port: number, extra = '') => `devices:
  - name: pump
    protocol: modbus
    pollGroups: { default: { intervalMs: ${POLL_MS} } }
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    site: plant
    area: line1
    asset: pump
    tags:
      - { name: flow, register: holding, address: 1, dataType: uint16 }
${extra}`;

interface Arrival {
  topic: string;
  payload: string;
  at: number;
}

const pool = new ClientPool();
const banks = { press: new RegisterBank(), pump: new RegisterBank() };
let servers: RunningModbusServer[] = [];
let links: { press: TcpProxy; pump: TcpProxy };
let gw: TestGateway;
let watcher: MqttClient;
const arrivals: Arrival[] = [];
let ticker: NodeJS.Timeout;

beforeAll(async () => {
  servers = [await serveModbusTcp(banks.press, '127.0.0.1', await freePort()), await serveModbusTcp(banks.pump, '127.0.0.1', await freePort())];
  links = { press: await tcpProxy(servers[0]?.port ?? 0), pump: await tcpProxy(servers[1]?.port ?? 0) };
  banks.press.holding[3] = 70;
  banks.press.holding[4] = 5;
  // Values that change faster than the polls: every poll of count and flow publishes.
  ticker = setInterval(() => {
    banks.press.holding[1] = ((banks.press.holding[1] ?? 0) + 1) % 60_000;
    banks.pump.holding[1] = ((banks.pump.holding[1] ?? 0) + 1) % 60_000;
  }, 20);
  gw = await startTestGateway({
    mappings: { 'press.yaml': press(links.press.port, PRESS_TAGS), 'pump.yaml': pump(links.pump.port) },
    extra: 'reload:\n  debounceMs: 100\n',
  });
  watcher = await pool.connect(gw.url());
  watcher.on('message', (topic, payload) => arrivals.push({ topic, payload: payload.toString(), at: performance.now() }));
  await watcher.subscribeAsync(['plant/#', '_gateway/test-gw/config/status'], { qos: 1 });
  await until(() => ['count', 'speed', 'temp'].every((tag) => arrivals.some((a) => a.topic === `plant/line1/press/${tag}`)) && arrivals.some((a) => a.topic === 'plant/line1/pump/flow'), 10_000);
});

afterAll(async () => {
  clearInterval(ticker);
  await pool.endAll();
  await gw?.stop();
  await links?.press.close();
  await links?.pump.close();
  await Promise.all(servers.map((server) => server.close()));
});

const on = (topic: string) => arrivals.filter((arrival) => arrival.topic === topic);
const statuses = () => on('_gateway/test-gw/config/status').map((a) => JSON.parse(a.payload) as { state: string; trigger: string; errors?: string[]; restartRequired?: string[]; changes?: Record<string, string[]> });
const valueOf = (arrival: Arrival | undefined) => (arrival === undefined || arrival.payload === '' ? undefined : (JSON.parse(arrival.payload) as { value: unknown; quality: string; status?: string }));

/** The longest time between two values of `topic` that arrived after `from`. */
function longestGap(topic: string, from: number): number {
  const times = on(topic).filter((a) => a.at >= from).map((a) => a.at);
  return Math.max(...times.slice(1).map((at, index) => at - (times[index] ?? at)));
}

describe('hot reload of the mapping files while values flow (real Modbus servers, a subscriber counting)', () => {
  it('adds a tag, changes a deadband and removes a tag with no gap on unchanged tags and no new connection to an unchanged PLC', async () => {
    const from = performance.now();
    const pumpConnections = links.pump.accepted;
    gw.dir.write('press.yaml', press(links.press.port, PRESS_TAGS_EDITED));
    await until(() => statuses().some((status) => status.state === 'applied'), 5000);
    const applied = statuses().find((status) => status.state === 'applied');
    expect(applied).toMatchObject({
      trigger: 'watch',
      changes: { tagsAdded: ['press/pressure'], tagsRemoved: ['press/temp'], tagsChanged: ['press/speed'], devicesRestarted: ['press'], devicesAdded: [], devicesRemoved: [] },
    });
    await until(() => valueOf(on('plant/line1/press/pressure').at(-1))?.value === 5, 5000);
    // The removed tag's retained value is cleared (reload.removedTags: clear, the default).
    expect(on('plant/line1/press/temp').at(-1)?.payload).toBe('');
    const late = await pool.connect(gw.url());
    const retained: string[] = [];
    late.on('message', (topic) => retained.push(topic));
    await late.subscribeAsync('plant/line1/press/#', { qos: 1 });
    await sleep(200);
    expect(retained).toContain('plant/line1/press/pressure');
    expect(retained).not.toContain('plant/line1/press/temp');
    await sleep(500);
    expect(links.pump.accepted).toBe(pumpConnections);
    const pumpGap = longestGap('plant/line1/pump/flow', from);
    const pressGap = longestGap('plant/line1/press/count', from);
    // At most one poll late: no poll of an unchanged tag was missed across the reload.
    expect(pumpGap).toBeLessThan(2 * POLL_MS);
    expect(pressGap).toBeLessThan(3 * POLL_MS);
  });

  it('applies the new deadband from the next sample', async () => {
    banks.press.holding[2] = 500;
    await until(() => valueOf(on('plant/line1/press/speed').at(-1))?.value === 500, 5000);
    banks.press.holding[2] = 540;
    await sleep(4 * POLL_MS);
    expect(valueOf(on('plant/line1/press/speed').at(-1))?.value).toBe(500);
    banks.press.holding[2] = 560;
    await until(() => valueOf(on('plant/line1/press/speed').at(-1))?.value === 560, 5000);
  });

  it('keeps everything running on a broken YAML file, with the error and its line on the config status', async () => {
    const flows = on('plant/line1/pump/flow').length;
    gw.dir.write('pump.yaml', 'devices: [ {');
    await until(() => statuses().some((status) => status.state === 'rejected'), 5000);
    const rejected = statuses().find((status) => status.state === 'rejected');
    expect(rejected?.errors?.[0]).toMatch(/pump\.yaml:\d+:\d+/);
    await sleep(3 * POLL_MS);
    expect(on('plant/line1/pump/flow').length).toBeGreaterThan(flows + 1);
    gw.dir.write('pump.yaml', pump(links.pump.port));
  });

  it('applies nothing of a change that needs a restart, and says which settings', async () => {
    await sleep(300);
    const before = statuses().length;
    const config = readFileSync(join(gw.dir.path, 'gateway.yaml'), 'utf8');
    gw.dir.write('pump.yaml', pump(links.pump.port, '      - { name: rpm, register: holding, address: 2, dataType: uint16 }\n'));
    gw.dir.write('gateway.yaml', `${config}namespace:\n  qos: 0\n`);
    await until(() => statuses().slice(before).some((status) => status.state === 'restart-required'), 5000);
    expect(statuses().slice(before).find((status) => status.state === 'restart-required')?.restartRequired).toEqual(['namespace']);
    await sleep(3 * POLL_MS);
    expect(on('plant/line1/pump/rpm')).toEqual([]);
    gw.dir.write('gateway.yaml', config);
  });

  it('keeps a removed tag\'s last value marked bad with reload.removedTags: bad', async () => {
    await until(() => valueOf(on('plant/line1/pump/rpm').at(-1)) !== undefined, 5000);
    const config = readFileSync(join(gw.dir.path, 'gateway.yaml'), 'utf8');
    gw.dir.write('gateway.yaml', config.replace('reload:\n  debounceMs: 100\n', 'reload:\n  debounceMs: 100\n  removedTags: bad\n'));
    gw.dir.write('press.yaml', press(links.press.port, PRESS_TAGS_EDITED.split('\n').filter((line) => !line.includes('pressure')).join('\n')));
    await until(() => valueOf(on('plant/line1/press/pressure').at(-1))?.quality === 'bad', 5000);
    expect(valueOf(on('plant/line1/press/pressure').at(-1))).toMatchObject({ value: 5, quality: 'bad', status: 'UNS_ERR_TAG_REMOVED' });
  });
});
