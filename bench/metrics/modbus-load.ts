/** The bench:modbus load (devices polled, registers changing) on a gateway with metrics off, then one with metrics on. */
import { connectAsync, type MqttClient } from 'mqtt';
import { writeGatewayConfig, type BenchLayout } from '../modbus/config.ts';
import { startSimulators, type Simulators } from '../modbus/sim-client.ts';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { cpuUsPerMessage, modesOfRun, type Measurement } from './measurement.ts';
import { startModeGateway, type Mode } from './mode-gateway.ts';
import type { Options } from './options.ts';
import { scrapeCpuMs } from './scrape-cost.ts';
import { Scraper } from './scraper.ts';

const WHAT = 'modbus polling';

/** Counts the value messages of every tag, and which tags have had a good value. */
class ValueCounter {
  readonly good = new Set<string>();
  values = 0;

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.values++;
      if (!this.good.has(topic) && payload.includes('"quality":"good"')) this.good.add(topic);
    });
  }
}

type Window = Pick<Measurement, 'cpuSeconds' | 'seconds' | 'messages' | 'otherCores'>;

/** The gateway's CPU and the values published over one window, and what other processes used meanwhile. */
async function measureWindow(gatewayPid: number, sims: Simulators, values: ValueCounter, windowMs: number): Promise<Window> {
  const ownCpu = () => (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
  const cpu0 = processTreeCpuSeconds(gatewayPid);
  // The load: the simulators, and this process (the subscriber, the scraper).
  const load0 = processTreeCpuSeconds(sims.pid) + ownCpu();
  const host0 = hostBusyCpuSeconds();
  const t0 = performance.now();
  const values0 = values.values;
  await sleep(windowMs);
  const cpuSeconds = processTreeCpuSeconds(gatewayPid) - cpu0;
  const load = processTreeCpuSeconds(sims.pid) + ownCpu() - load0;
  const seconds = (performance.now() - t0) / 1000;
  return { cpuSeconds, seconds, messages: values.values - values0, otherCores: (hostBusyCpuSeconds() - host0 - cpuSeconds - load) / seconds };
}

/** Two windows as one. */
function sum(a: Window, b: Window): Window {
  const seconds = a.seconds + b.seconds;
  return { cpuSeconds: a.cpuSeconds + b.cpuSeconds, seconds, messages: a.messages + b.messages, otherCores: (a.otherCores * a.seconds + b.otherCores * b.seconds) / seconds };
}

/**
 * One gateway in `mode` on the simulators: a warm-up with the registers changing, then four windows of
 * half --window each, A B B A. The second and third are the measurement, scraped with metrics on; with
 * metrics on the first and fourth, unscraped, are the same process without scrapes, a drift over the
 * four cancelling out.
 */
async function measure(options: Options, sims: Simulators, layout: BenchLayout, mode: Mode, run: number): Promise<Measurement> {
  const dir = makeTempDir(`uns-bench-metrics-modbus-${mode}-`);
  const gateway = await startModeGateway(writeGatewayConfig(dir, layout, sims.ports), mode);
  let counter: ValueCounter | undefined;
  let scraper: Scraper | undefined;
  try {
    const client = await connectAsync(`mqtt://127.0.0.1:${gateway.port}`, { clientId: `bench-metrics-${process.pid}`, protocolVersion: 4, reconnectPeriod: 0 });
    const values = new ValueCounter(client);
    counter = values;
    await client.subscribeAsync('bench/#', { qos: 1 });
    const tags = layout.devices * layout.registers;
    await waitFor(() => values.good.size >= tags, 60_000, gateway.alive, () => `a good value on all ${tags} tags (have ${values.good.size})`, () => new Error(`gateway exited\n${gateway.logTail()}`));
    sims.setChanges(true);
    // A first scrape compiles the code that renders the metrics: in the warm-up, not in a window.
    if (gateway.httpPort !== undefined) await (await fetch(`http://127.0.0.1:${gateway.httpPort}/metrics`)).text();
    await sleep(options.warmupMs);
    const half = options.windowMs / 2;
    const first = await measureWindow(gateway.pid, sims, values, half);
    if (gateway.httpPort !== undefined) scraper = new Scraper(gateway.httpPort, options.scrapeMs);
    const measured = sum(await measureWindow(gateway.pid, sims, values, half), await measureWindow(gateway.pid, sims, values, half));
    await scraper?.stop();
    if (scraper && scraper.failures > 0) throw new Error(`${scraper.failures} scrapes of /metrics failed`);
    const unscraped = mode === 'on' ? sum(first, await measureWindow(gateway.pid, sims, values, half)) : undefined;
    // The scrape's own cost, on the gateway still polling its devices.
    const scrapeCost = gateway.httpPort === undefined ? undefined : await scrapeCpuMs(gateway.pid, gateway.httpPort);
    const scrapes = { scrapes: scraper?.scrapes ?? 0, scrapeBytes: scraper?.bytes ?? 0, scrapeCpuMs: scrapeCost };
    return { what: WHAT, mode, run, ...measured, unscraped, ...scrapes };
  } finally {
    sims.setChanges(false);
    await scraper?.stop();
    await counter?.client.endAsync(true);
    await gateway.stop();
    removeTempDir(dir);
  }
}

/** The simulators run throughout; each run starts a gateway with metrics off and one with metrics on, in turn. */
export async function modbusLoad(options: Options, progress: (line: string) => void): Promise<Measurement[]> {
  const layout: BenchLayout = { devices: options.devices, registers: options.registers, writableAddress: options.registers - 1, intervalMs: options.intervalMs, timeoutMs: 1000 };
  const sims = await startSimulators(
    { devices: layout.devices, registers: layout.registers, writableAddress: layout.writableAddress, changesPerDeviceS: options.changes, tickMs: 100 },
    REPO_ROOT,
    30_000,
  );
  const measurements: Measurement[] = [];
  try {
    for (let run = 1; run <= options.runs; run++) {
      for (const mode of modesOfRun(run)) {
        const m = await measure(options, sims, layout, mode, run);
        measurements.push(m);
        const unscraped = m.unscraped ? ` (${cpuUsPerMessage(m.unscraped).toFixed(1)} unscraped)` : '';
        progress(`run ${run} ${WHAT}, metrics ${mode}: ${m.messages} values, ${((m.cpuSeconds * 100) / m.seconds).toFixed(1)}% of a core, ${cpuUsPerMessage(m).toFixed(1)} µs CPU/value${unscraped}`);
      }
    }
    return measurements;
  } finally {
    await sims.stop(5000);
  }
}
