/**
 * The loads the footprint is measured at, each on a fresh gateway process run with an npm start script's
 * node flags: no device and no client (the floor), the demo plant of `npm start` with no client, and
 * bench:modbus's polling load.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { writeGatewayConfig, type BenchLayout, totalTags } from '../modbus/config.ts';
import { parseOptions } from '../modbus/options.ts';
import { startSimulators, type Simulators } from '../modbus/sim-client.ts';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { gatewayConfigYaml } from '../shared/gateway-broker.ts';
import { startGatewayProcess, type GatewayProcess } from '../shared/measured-gateway.ts';
import { connectClient, endClients } from '../shared/mqtt-clients.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { writeDemoConfig } from './demo-config.ts';
import { sampleFootprint, type Footprint } from './sampler.ts';

export const LOADS = ['empty', 'demo', 'modbus'] as const;
export type LoadName = (typeof LOADS)[number];

export interface RunSettings {
  /** The npm script whose node flags the gateway runs with. */
  script: string;
  warmupMs: number;
  windowMs: number;
  progress: (message: string) => void;
}

export interface LoadResult {
  footprint: Footprint;
  /** What ran, for the report. */
  setup: string;
  /** Gateway log lines at warn or above. */
  problems: string[];
  /** Exit code of the stop (SIGINT); null when it had to be killed. */
  stopCode: number | null;
}

/** Subscribes to `filter` and collects the topics of values with quality good, counting messages. */
class ValueWatch {
  readonly goodTopics = new Set<string>();
  messages = 0;

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => {
      this.messages++;
      try {
        const body: unknown = JSON.parse(payload.toString('utf8'));
        if (typeof body === 'object' && body !== null && (body as { quality?: unknown }).quality === 'good') this.goodTopics.add(topic);
      } catch {
        // not a value message
      }
    });
  }

  static async open(port: number, filter: string, qos: 0 | 1): Promise<ValueWatch> {
    const watch = new ValueWatch(await connectClient('127.0.0.1', port, 'footprint'));
    await watch.client.subscribeAsync(filter, { qos });
    return watch;
  }
}

async function measure(gw: GatewayProcess, s: RunSettings): Promise<Footprint> {
  s.progress(`warm-up ${s.warmupMs / 1000} s, then a ${s.windowMs / 1000} s window`);
  await sleep(s.warmupMs);
  if (!gw.alive()) throw new Error(`the gateway exited during the warm-up\n${gw.logTail()}`);
  return sampleFootprint(gw, s.windowMs);
}

async function stopGateway(gw: GatewayProcess): Promise<Pick<LoadResult, 'problems' | 'stopCode'>> {
  const problems = gw.problems();
  const stop = await gw.stop(15_000);
  return { problems, stopCode: stop.forced ? null : stop.code };
}

/** The broker and the store only: no mapping, no simulator, no client. */
export async function emptyGateway(s: RunSettings): Promise<LoadResult> {
  const dir = makeTempDir('uns-bench-footprint-');
  let gw: GatewayProcess | undefined;
  try {
    const configFile = path.join(dir, 'gateway.yaml');
    writeFileSync(configFile, gatewayConfigYaml(path.join(dir, 'data')));
    s.progress(`${s.script}: no device, no client`);
    gw = await startGatewayProcess({ repoRoot: REPO_ROOT, configFile, startTimeoutMs: 60_000, script: s.script });
    const running = gw;
    const footprint = await measure(running, s);
    const stopped = await stopGateway(running);
    gw = undefined;
    return { footprint, ...stopped, setup: 'one TCP listener and the SQLite store; no mapping, no simulator, no client' };
  } finally {
    if (gw) await gw.stop(5000);
    removeTempDir(dir);
  }
}

/** `npm start`'s config (the demo plant: simulator and gateway in one process), with no client connected. */
export async function demoPlant(s: RunSettings): Promise<LoadResult> {
  const dir = makeTempDir('uns-bench-footprint-');
  let gw: GatewayProcess | undefined;
  try {
    const demo = await writeDemoConfig(REPO_ROOT, dir);
    s.progress(`${s.script}: demo plant (config/gateway.yaml on free ports)`);
    gw = await startGatewayProcess({ repoRoot: REPO_ROOT, configFile: demo.configFile, startTimeoutMs: 60_000, script: s.script });
    const running = gw;
    // The plant is live once every demo device has published a good value; the client then leaves.
    const watch = await ValueWatch.open(running.port, '#', 0);
    const live = (): boolean => demo.assets.every((asset) => [...watch.goodTopics].some((topic) => topic.startsWith(asset)));
    const what = (): string => `a good value from each of ${demo.assets.join(', ')}`;
    await waitFor(live, 60_000, running.alive, what, () => new Error(`the gateway exited while waiting for ${what()}\n${running.logTail()}`));
    await endClients([watch.client], 5000);
    const footprint = await measure(running, s);
    const stopped = await stopGateway(running);
    gw = undefined;
    return { footprint, ...stopped, setup: `demo plant (${demo.assets.length} devices, simulator in the gateway process), no client` };
  } finally {
    if (gw) await gw.stop(5000);
    removeTempDir(dir);
  }
}

/** bench:modbus's defaults: its simulators (another process), polling layout, change rate and subscriber; no writes. */
export async function modbusLoad(s: RunSettings): Promise<LoadResult> {
  const o = parseOptions([]);
  if (o === null) throw new Error('bench:modbus has no default options');
  const layout: BenchLayout = { devices: o.devices, registers: o.registers, writableAddress: o.registers - 1, intervalMs: o.intervalMs, timeoutMs: 1000 };
  const tags = totalTags(layout);
  const dir = makeTempDir('uns-bench-footprint-');
  let sims: Simulators | undefined;
  let gw: GatewayProcess | undefined;
  let watch: ValueWatch | undefined;
  try {
    s.progress(`${s.script}: bench:modbus load, ${tags.toLocaleString('en-US')} tags`);
    sims = await startSimulators(
      { devices: layout.devices, registers: layout.registers, writableAddress: layout.writableAddress, changesPerDeviceS: o.changesPerDeviceS, tickMs: 100 },
      REPO_ROOT,
      30_000,
    );
    const configFile = writeGatewayConfig(dir, layout, sims.ports);
    gw = await startGatewayProcess({ repoRoot: REPO_ROOT, configFile, startTimeoutMs: 60_000, script: s.script });
    const running = gw;
    const sub = await ValueWatch.open(running.port, 'bench/#', o.subQos);
    watch = sub;
    const what = (): string => `a good value on all ${tags} tag topics (have ${sub.goodTopics.size})`;
    await waitFor(() => sub.goodTopics.size >= tags, 60_000, running.alive, what, () => new Error(`the gateway exited while waiting for ${what()}\n${running.logTail()}`));
    sims.setChanges(true);
    const [messages0, t0] = [sub.messages, performance.now()];
    const footprint = await measure(running, s);
    // Before the stop, which publishes every tag once more (marked stopped).
    const rate = (sub.messages - messages0) / ((performance.now() - t0) / 1000);
    await endClients([sub.client], 5000);
    watch = undefined;
    const stopped = await stopGateway(running);
    gw = undefined;
    return {
      footprint,
      ...stopped,
      setup:
        `${layout.devices} Modbus TCP devices × ${layout.registers} uint16 tags, poll ${layout.intervalMs} ms, ` +
        `${o.changesPerDeviceS} changes/device/s, a QoS ${o.subQos} subscriber on bench/# (${rate.toFixed(0)} messages/s)`,
    };
  } finally {
    if (watch) await endClients([watch.client], 5000);
    if (gw) await gw.stop(5000);
    if (sims) await sims.stop(5000);
    removeTempDir(dir);
  }
}
