/**
 * The gateway process at bench:modbus's load (its simulated devices, config and start script), with
 * Sparkplug B off and on, alternating over the same simulators. Each run: the gateway starts, every tag has a
 * good JSON value (and, when on, every device its DBIRTH), a warm-up, then a window over which the gateway's
 * CPU (every thread) and RSS are read from /proc and the subscriber counts messages and metrics.
 */
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { startGatewayProcess, type GatewayProcess } from '../shared/measured-gateway.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { median } from '../shared/stats.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { totalTags, writeGatewayConfig, type BenchLayout } from '../modbus/config.ts';
import { startSimulators, type Simulators } from '../modbus/sim-client.ts';
import { Counter, type Counts } from './counter.ts';

export interface LoadOptions {
  devices: number;
  registers: number;
  intervalMs: number;
  changesPerDeviceS: number;
  warmupMs: number;
  windowMs: number;
  /** off/on pairs. */
  rounds: number;
  script: string;
}

export interface LoadRun {
  sparkplug: boolean;
  windowS: number;
  cpuPct: number;
  rssMedianMb: number;
  rssMaxMb: number;
  jsonPerS: number;
  sparkplugPerS: number;
  metricsPerS: number;
  /** Sparkplug messages by type over the window. */
  byType: Map<string, number>;
  problems: string[];
}

const SPARKPLUG_YAML = ['sparkplug:', '  enabled: true', '  groupId: plant'];

function progress(message: string): void {
  process.stderr.write(`[bench:sparkplug] ${message}\n`);
}

function delta(after: Counts, before: Counts): Counts {
  const byType = new Map<string, number>();
  for (const [type, n] of after.byType) {
    const d = n - (before.byType.get(type) ?? 0);
    if (d > 0) byType.set(type, d);
  }
  return {
    jsonMessages: after.jsonMessages - before.jsonMessages,
    sparkplugMessages: after.sparkplugMessages - before.sparkplugMessages,
    sparkplugMetrics: after.sparkplugMetrics - before.sparkplugMetrics,
    byType,
  };
}

async function measureOnce(options: LoadOptions, layout: BenchLayout, sims: Simulators, sparkplug: boolean): Promise<LoadRun> {
  const dir = makeTempDir('uns-bench-sparkplug-');
  let gateway: GatewayProcess | undefined;
  let counter: Counter | undefined;
  try {
    const configFile = writeGatewayConfig(dir, layout, sims.ports, sparkplug ? SPARKPLUG_YAML : []);
    progress(`gateway with sparkplug ${sparkplug ? 'ON' : 'OFF'}: starting`);
    const gw = await startGatewayProcess({ repoRoot: REPO_ROOT, configFile, startTimeoutMs: 60_000, script: options.script });
    gateway = gw;
    const sub = await Counter.connect(gw.port);
    counter = sub;
    const tags = totalTags(layout);
    const births = (): number => sub.counts.byType.get('DBIRTH') ?? 0;
    const ready = (): boolean => sub.goodTopics.size >= tags && (!sparkplug || births() >= layout.devices);
    const what = (): string => `good values on ${tags} tags (have ${sub.goodTopics.size})${sparkplug ? `, ${layout.devices} DBIRTHs (have ${births()})` : ''}`;
    await waitFor(ready, 60_000, gw.alive, what, () => new Error(`gateway exited while waiting for ${what()}\n${gw.logTail()}`));
    await sleep(options.warmupMs);
    const before = sub.snapshot();
    const cpu0 = gw.cpuSeconds();
    const t0 = Date.now();
    const rss: number[] = [gw.rssBytes()];
    const timer = setInterval(() => gw.alive() && rss.push(gw.rssBytes()), 1000);
    await sleep(options.windowMs);
    clearInterval(timer);
    if (!gw.alive()) throw new Error(`gateway exited during the window\n${gw.logTail()}`);
    const cpuSeconds = gw.cpuSeconds() - cpu0;
    const windowS = (Date.now() - t0) / 1000;
    rss.push(gw.rssBytes());
    const counts = delta(sub.snapshot(), before);
    if (sub.malformed > 0) throw new Error(`${sub.malformed} Sparkplug payloads did not decode`);
    await sub.close();
    counter = undefined;
    const problems = gw.problems();
    await gw.stop(15_000);
    gateway = undefined;
    return {
      sparkplug,
      windowS,
      cpuPct: (cpuSeconds / windowS) * 100,
      rssMedianMb: median(rss) / 1e6,
      rssMaxMb: Math.max(...rss) / 1e6,
      jsonPerS: counts.jsonMessages / windowS,
      sparkplugPerS: counts.sparkplugMessages / windowS,
      metricsPerS: counts.sparkplugMetrics / windowS,
      byType: counts.byType,
      problems,
    };
  } finally {
    counter?.destroy();
    if (gateway) await gateway.stop(5000);
    removeTempDir(dir);
  }
}

/** Starts the simulators once, then the gateway off, on, off, on, … (`rounds` pairs). */
export async function measureGatewayLoad(options: LoadOptions): Promise<LoadRun[]> {
  const layout: BenchLayout = { devices: options.devices, registers: options.registers, writableAddress: options.registers - 1, intervalMs: options.intervalMs, timeoutMs: 1000 };
  progress(`starting ${layout.devices} Modbus TCP simulators (${layout.registers} holding registers each), ${options.changesPerDeviceS} changes/device/s`);
  const sims = await startSimulators(
    { devices: layout.devices, registers: layout.registers, writableAddress: layout.writableAddress, changesPerDeviceS: options.changesPerDeviceS, tickMs: 100 },
    REPO_ROOT,
    30_000,
  );
  try {
    sims.setChanges(true);
    const runs: LoadRun[] = [];
    for (let round = 0; round < options.rounds; round++) {
      for (const sparkplug of [false, true]) runs.push(await measureOnce(options, layout, sims, sparkplug));
    }
    return runs;
  } finally {
    await sims.stop(5000);
  }
}
