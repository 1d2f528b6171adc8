/**
 * Modbus connector benchmark: N simulated Modbus TCP devices (in a separate child process), each with
 * R holding registers mapped as R uint16 tags, polled by the gateway every interval. Measures, over a
 * steady-state window after a warm-up:
 *   - read requests the simulators receive per scan, against one request per tag;
 *   - the gateway process's CPU (% of one core, every thread) and RSS;
 *   - register change in the simulator → value message at an MQTT subscriber, p50/p99;
 *   - /set → /set/result write round trip under the polling load, p50/p99.
 * With --tags (e.g. 10000,50000) it runs once per tag count and start script and ends with a table of
 * RSS (median, peak) and CPU against the tag count, with the growth per 10,000 tags.
 *
 *   node --import tsx bench/modbus/main.ts [--help]
 */
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { tagTopic, totalTags, writableTopic, writeGatewayConfig, type BenchLayout } from './config.ts';
import { distWarning, startGatewayProcess, type GatewayProcess } from '../shared/measured-gateway.ts';
import { startNodeFlags } from '../shared/start-flags.ts';
import { matchChanges } from './latency.ts';
import { connectSubscriber, type Subscriber } from './subscriber.ts';
import { monotonicNowUs } from '../shared/cpu-profile.ts';
import { startSimulators, type Simulators } from './sim-client.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { WRITE_TIMEOUT_MS, USAGE, parseOptions, type Measurements, type Options, type WriteStats } from './options.ts';
import { profileReport, report } from './report.ts';
import { sweepReport, type SweepPoint } from './sweep.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { optionsOrExitCode } from '../shared/command-line.ts';

function progress(message: string): void {
  process.stderr.write(`[bench:modbus] ${message}\n`);
}

// --- writes ---------------------------------------------------------------------------------

async function runWrites(subscriber: Subscriber, layout: BenchLayout, count: number, start: number, spacingMs: number, alive: () => boolean): Promise<WriteStats> {
  const stats: WriteStats = { latenciesMs: [], failed: 0, timedOut: 0, wrongValue: 0 };
  const last = new Map<number, number>();
  for (let k = 0; k < count; k++) {
    await sleep(start + k * spacingMs - Date.now());
    if (!alive()) break;
    const device = k % layout.devices;
    let value = Math.floor(Math.random() * 65536);
    if (value === last.get(device)) value = (value + 1) % 65536;
    last.set(device, value);
    const t0 = performance.now();
    const outcome = await subscriber.write(writableTopic(layout, device), value, `w${k}`, WRITE_TIMEOUT_MS);
    const elapsed = performance.now() - t0;
    if (outcome === 'timeout') stats.timedOut++;
    else if (!outcome.ok) stats.failed++;
    else {
      stats.latenciesMs.push(elapsed);
      if (outcome.value !== value) stats.wrongValue++;
    }
  }
  return stats;
}

// --- the run --------------------------------------------------------------------------------



async function run(options: Options, script: string, cpuProfDir: string | undefined): Promise<Measurements> {
  const layout: BenchLayout = {
    devices: options.devices,
    registers: options.registers,
    writableAddress: options.registers - 1,
    intervalMs: options.intervalMs,
    timeoutMs: 1000,
  };
  const tags = totalTags(layout);
  const dir = makeTempDir('uns-bench-modbus-');
  let sims: Simulators | undefined;
  let gateway: GatewayProcess | undefined;
  let subscriber: Subscriber | undefined;
  try {
    const stale = distWarning(REPO_ROOT);
    if (stale !== undefined) progress(`warning: ${stale}`);
    progress(`starting ${layout.devices} Modbus TCP simulator${layout.devices === 1 ? '' : 's'} (${layout.registers} holding registers each) in a child process`);
    sims = await startSimulators(
      { devices: layout.devices, registers: layout.registers, writableAddress: layout.writableAddress, changesPerDeviceS: options.changesPerDeviceS, tickMs: 100 },
      REPO_ROOT,
      30_000,
    );
    const configFile = writeGatewayConfig(dir, layout, sims.ports);
    if (cpuProfDir !== undefined) mkdirSync(cpuProfDir, { recursive: true });
    progress(`starting the gateway as \`npm run ${script}\`: ${tags.toLocaleString('en-US')} tags${cpuProfDir === undefined ? '' : ` (under --cpu-prof → ${cpuProfDir})`}`);
    const started = Date.now();
    const gw = await startGatewayProcess({ repoRoot: REPO_ROOT, configFile, startTimeoutMs: 60_000, cpuProfDir, script });
    gateway = gw;
    const startupMs = Date.now() - started;
    const sub = await connectSubscriber(gw.port, options.subQos);
    subscriber = sub;
    const what = (): string => `a good value on all ${tags} tag topics (have ${sub.goodTopics.size})`;
    const stillThere = (): boolean => gw.alive() && sub.client.connected;
    const gone = (): Error => new Error(`${gw.alive() ? 'the gateway disconnected the subscriber' : 'the gateway exited'} while waiting for ${what()}`);
    try {
      await waitFor(() => sub.goodTopics.size >= tags, 60_000, stillThere, what, gone);
    } catch (error) {
      await sleep(1000); // for the gateway's log line about it
      throw new Error(`${(error as Error).message}\n${gw.problems().join('\n')}`);
    }
    const allValuesMs = Date.now() - started;
    progress(`all ${tags.toLocaleString('en-US')} tags published ${(allValuesMs / 1000).toFixed(1)} s after start; warm-up ${options.warmupMs / 1000} s with ${options.changesPerDeviceS} changes/device/s`);

    sub.recording = true;
    sims.setChanges(true);
    await sleep(options.warmupMs);
    if (!gw.alive()) throw new Error(`gateway exited during the warm-up\n${gw.logTail()}`);

    progress(`steady-state window ${options.windowMs / 1000} s, ${options.writes} writes`);
    const countsBefore = await sims.counts();
    const cpu0 = gw.cpuSeconds();
    const simCpu0 = processTreeCpuSeconds(sims.pid);
    const host0 = hostBusyCpuSeconds();
    const mono0 = monotonicNowUs();
    const t0 = Date.now();
    const messages0 = sub.valueMessages;
    const rssSamples: number[] = [gw.rssBytes()];
    const rssTimer = setInterval(() => {
      if (gw.alive()) rssSamples.push(gw.rssBytes());
    }, 1000);
    const writesDone = runWrites(sub, layout, options.writes, t0, options.writes > 0 ? options.windowMs / options.writes : 0, gw.alive);
    await sleep(t0 + options.windowMs - Date.now());
    clearInterval(rssTimer);
    if (!gw.alive()) throw new Error(`gateway exited during the window\n${gw.logTail()}`);
    const cpuSeconds = gw.cpuSeconds() - cpu0;
    const simCpuSeconds = processTreeCpuSeconds(sims.pid) - simCpu0;
    const hostBusySeconds = hostBusyCpuSeconds() - host0;
    const loadAverage = loadavg();
    const mono1 = monotonicNowUs();
    const t1 = Date.now();
    const countsAfter = await sims.counts();
    const valueMessages = sub.valueMessages - messages0;
    rssSamples.push(gw.rssBytes());
    const threads = gw.threads();
    const anonymousBytes = gw.anonymousBytes();
    sims.setChanges(false);
    const writes = await writesDone;
    // Changes made just before the end reach the subscriber at the next poll.
    await sleep(options.intervalMs + 1000);
    sub.recording = false;

    const changes = matchChanges(sims.changes, sub.receptions, (device, address) => tagTopic(layout, device, address), t0, t1);
    const problems = gw.problems();
    await sub.client.endAsync();
    subscriber = undefined;
    progress('stopping');
    // A stop republishes every tag as uncertain: give a large namespace time to show how long it takes.
    const stop = await gw.stop(60_000);
    gateway = undefined;
    return {
      layout: { ...options, tags },
      startupMs,
      script,
      nodeFlags: startNodeFlags(REPO_ROOT, script),
      allValuesMs,
      windowS: (t1 - t0) / 1000,
      cpuSeconds,
      simCpuSeconds,
      hostBusySeconds,
      rssSamples,
      threads,
      anonymousBytes,
      countsBefore,
      countsAfter,
      changes,
      writes,
      valueMessages,
      badMessages: sub.badMessages,
      malformed: sub.malformed,
      problems,
      stop,
      monotonicWindow: { from: mono0, to: mono1 },
      loadAverage,
    };
  } finally {
    if (subscriber && !subscriber.client.disconnected) subscriber.client.end(true);
    if (gateway) await gateway.stop(5000);
    if (sims) await sims.stop(5000);
    removeTempDir(dir);
  }
}

// --- the report -----------------------------------------------------------------------------

async function main(): Promise<number> {
  const parsed = optionsOrExitCode(parseOptions, USAGE);
  if ('exitCode' in parsed) return parsed.exitCode;
  const { options } = parsed;
  const failures: string[] = [];
  const points: SweepPoint[] = [];
  for (const devices of options.sweepDevices ?? [options.devices]) {
    for (const script of options.scripts) {
      const tags = devices * options.registers;
      // One folder per run: the summary takes the main thread's profile from it.
      const cpuProfDir = options.cpuProfDir === undefined ? undefined : path.join(options.cpuProfDir, `${script.replace(/\W/g, '-')}-${tags}`);
      let measurements: Measurements;
      try {
        measurements = await run({ ...options, devices }, script, cpuProfDir);
      } catch (error) {
        // A sweep goes on to its other sizes; the failed run is listed at the end.
        if (options.sweepDevices === undefined) throw error;
        const message = error instanceof Error ? error.message : String(error);
        process.stdout.write(`\n${script} at ${tags} tags failed: ${message}\n`);
        failures.push(`${script} at ${tags} tags: ${message.split('\n', 1)[0] ?? ''}`);
        continue;
      }
      const result = report(measurements);
      points.push(result.point);
      failures.push(...result.failures.map((failure) => `${script} at ${tags} tags: ${failure}`));
      process.stdout.write(`\n${result.text}\n`);
      if (cpuProfDir !== undefined) {
        try {
          process.stdout.write(`\n${profileReport(cpuProfDir, measurements.monotonicWindow)}\n`);
        } catch (error) {
          process.stdout.write(`\nprofile summary failed: ${(error as Error).message}\n`);
        }
      }
    }
  }
  if (options.sweepDevices !== undefined) process.stdout.write(`\n${sweepReport(points)}\n`);
  if (failures.length > 0) {
    process.stdout.write(`\nFAILED: ${failures.join('; ')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:modbus failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
