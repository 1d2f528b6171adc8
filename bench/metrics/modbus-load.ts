/** The bench:modbus load (devices polled, registers changing) on a gateway with metrics off, then one with metrics on. */
import { connectAsync, type MqttClient } from 'mqtt';
import { writeGatewayConfig, type BenchLayout } from '../modbus/config.ts';
import { startSimulators, type Simulators } from '../modbus/sim-client.ts';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { modesOfRun, type Measurement } from './measurement.ts';
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

/** One gateway in `mode` on the simulators: warm-up with changes on, then its CPU over the window. */
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
    if (gateway.httpPort !== undefined) scraper = new Scraper(gateway.httpPort, options.scrapeMs);
    sims.setChanges(true);
    await sleep(options.warmupMs);
    const cpu0 = processTreeCpuSeconds(gateway.pid);
    // The load: the simulators, and this process (the subscriber, the scraper).
    const load0 = processTreeCpuSeconds(sims.pid) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
    const host0 = hostBusyCpuSeconds();
    const t0 = performance.now();
    const values0 = values.values;
    await sleep(options.windowMs);
    const cpuSeconds = processTreeCpuSeconds(gateway.pid) - cpu0;
    const load = processTreeCpuSeconds(sims.pid) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 - load0;
    const seconds = (performance.now() - t0) / 1000;
    const otherCores = (hostBusyCpuSeconds() - host0 - cpuSeconds - load) / seconds;
    const messages = values.values - values0;
    await scraper?.stop();
    if (scraper && scraper.failures > 0) throw new Error(`${scraper.failures} scrapes of /metrics failed`);
    // The scrape's own cost, on the gateway still polling its devices.
    const scrapeCost = gateway.httpPort === undefined ? undefined : await scrapeCpuMs(gateway.pid, gateway.httpPort);
    const scrapes = { scrapes: scraper?.scrapes ?? 0, scrapeBytes: scraper?.bytes ?? 0, scrapeCpuMs: scrapeCost };
    return { what: WHAT, mode, run, cpuSeconds, seconds, messages, otherCores, ...scrapes };
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
        progress(`run ${run} ${WHAT}, metrics ${mode}: ${m.messages} values in ${options.windowMs / 1000} s, ${((m.cpuSeconds * 100) / (options.windowMs / 1000)).toFixed(1)}% of a core, ${(m.cpuSeconds * 1e6 / m.messages).toFixed(1)} µs CPU/value`);
      }
    }
    return measurements;
  } finally {
    await sims.stop(5000);
  }
}
