import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { sleep } from '../helpers/mqtt.ts';
import { scrape, scrapeUntil, type Scrape } from '../helpers/prometheus.ts';

const device = (name: string, port: number) => `devices:
  - name: ${name}
    protocol: modbus
    pollGroups: { default: { intervalMs: 100 } }
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    site: plant
    area: line1
    asset: ${name}
    tags:
      - { name: flow, register: holding, address: 1, dataType: uint16 }
`;

let servers: RunningModbusServer[] = [];
let gw: TestGateway;
let metricsPort: number;

beforeAll(async () => {
  servers = [await serveModbusTcp(new RegisterBank(), '127.0.0.1', await freePort()), await serveModbusTcp(new RegisterBank(), '127.0.0.1', await freePort())];
  gw = await startTestGateway({
    mappings: { 'press.yaml': device('press', servers[0]?.port ?? 0), 'pump.yaml': device('pump', servers[1]?.port ?? 0) },
    extra: 'reload:\n  debounceMs: 100\n',
  });
  metricsPort = gw.gateway.http?.port ?? 0;
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all(servers.map((server) => server.close()));
});

/** The devices a scrape has series of, for the per-device metrics. */
const devicesIn = (s: Scrape) => [...new Set(s.samples.filter((sample) => sample.name.startsWith('uns_device_') && sample.labels.device).map((sample) => sample.labels.device))].sort();
const reads = (s: Scrape, name: string) => s.value('uns_device_reads_total', { device: name });

describe('a device removed by a reload', () => {
  it('leaves the metrics and the kept samples, for good, and comes back from zero when added again', async () => {
    const both = (s: Scrape) => devicesIn(s).length === 2 && reads(s, 'pump') > 0 && gw.gateway.northbound.latest('pump/flow') !== undefined;
    // Two seconds of polls at 100 ms: more reads than the pump makes before the first scrape after its return.
    const first = await scrapeUntil(metricsPort, (s) => both(s) && reads(s, 'pump') >= 20, 10_000);
    expect(devicesIn(first)).toEqual(['press', 'pump']);

    gw.dir.write('pump.yaml', 'devices: []\n');
    const before = await scrapeUntil(metricsPort, (s) => devicesIn(s).join() === 'press', 10_000);
    expect(devicesIn(before)).toEqual(['press']);
    expect(gw.gateway.northbound.latest('pump/flow')).toBeUndefined();
    // Longer than a worker's read-count period (1 s): a late report of the removed device brings no series back.
    await sleep(1500);
    const after = await scrape(metricsPort);
    expect(devicesIn(after)).toEqual(['press']);
    expect(reads(after, 'press')).toBeGreaterThan(reads(before, 'press'));

    gw.dir.write('pump.yaml', device('pump', servers[1]?.port ?? 0));
    const again = await scrapeUntil(metricsPort, both, 10_000);
    expect(devicesIn(again)).toEqual(['press', 'pump']);
    // Counted from its return, not from before it left.
    expect(reads(again, 'pump')).toBeLessThan(reads(first, 'pump'));
  }, 40_000);
});
