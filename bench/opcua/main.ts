/**
 * OPC UA connector benchmark: a node-opcua server in a separate child process with N Double
 * variables (default 10,000) that change in ticks; the gateway subscribes to all of them (one
 * subscription, monitored items in batches) and publishes each change to its broker; an MQTT.js
 * subscriber here receives bench/ua/# at QoS 0. A bare node-opcua client (a child process, the
 * connector's subscription settings, nothing done with the values) is the baseline. For each load
 * pattern, the bare client then the gateway (never both: the server only reports to one of them),
 * after a warm-up, a steady-state window measures:
 *   - changes made by the server vs distinct changes delivered to the subscriber;
 *   - values/s received; source timestamp → receipt latency, p50/p99;
 *   - the gateway process's CPU (% of one core, every thread) and RSS;
 *   - CPU per value, the gateway's against the bare client's, and the capacity that implies.
 * `--footprint SIZES` measures RSS and CPU at several item counts instead (bench/opcua/footprint.ts).
 *
 *   node --import tsx bench/opcua/main.ts [--help]
 */
import { availableParallelism } from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds } from '../shared/proc-cpu.ts';
import { fmtInt, fmtNum } from '../shared/table.ts';
import { distWarning, type GatewayProcess } from '../shared/measured-gateway.ts';
import { statusField } from './proc.ts';
import type { OpcuaServerProcess } from './server-client.ts';
import type { OpcuaSubscriber } from './subscriber.ts';
import { startGatewayAndSubscriber, startServer } from './setup.ts';
import { runFootprint } from './footprint.ts';
import { footprintReport } from './report-footprint.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { SERVER_MAX_ITEMS_PER_CALL, TAG_QUEUE_SIZE, USAGE, parseOptions, type Options } from './options.ts';
import { samplingLabel, type Measurements, type PhaseResult } from './measurements.ts';
import { figures, ms, profileReport, report, verdict } from './report.ts';
import { baselineReport, costLine } from './report-baseline.ts';
import { startBaseline, type BaselineProcess } from './baseline-client.ts';
import { BASELINE_APPLICATION, GATEWAY_APPLICATION } from './baseline-protocol.ts';
import { runBaselinePhase, type BaselineResult } from './baseline-phase.ts';
import { alive, exitedError, runPhase, type Context } from './gateway-phase.ts';
import { progress } from './progress.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { optionsOrExitCode } from '../shared/command-line.ts';

// --- the run ------------------------------------------------------------------------------------

/** Wall time one load takes, bare client then gateway: warm-up, window, counts and drain (typically well under 3 s) each. */
function phaseMs(options: Options): number {
  return 2 * (options.warmupMs + options.windowMs + 3000);
}

/** One configuration: a fresh server, bare client and gateway; every load in turn, bare client then gateway. */

async function run(options: Options, samplingMs: number, deadline: number): Promise<Measurements> {
  const dir = makeTempDir('uns-bench-opcua-');
  let server: OpcuaServerProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let subscriber: OpcuaSubscriber | undefined;
  let baseline: BaselineProcess | undefined;
  try {
    server = await startServer(options, dir, samplingMs, options.items);
    const srv = server;
    progress('starting the bare client (baseline)');
    const bare = await startBaseline(
      {
        endpoint: srv.endpoint,
        items: options.items,
        pkiDir: path.join(dir, 'baseline-pki'),
        publishingIntervalMs: options.publishingMs,
        samplingIntervalMs: samplingMs,
        queueSize: TAG_QUEUE_SIZE,
        maxItemsPerCall: SERVER_MAX_ITEMS_PER_CALL,
      },
      REPO_ROOT,
      90_000,
    );
    baseline = bare;
    progress(`bare client has every item after ${fmtNum(bare.startupMs / 1000, 1)} s`);
    const started = await startGatewayAndSubscriber(options, dir, srv, samplingMs, options.items, 'start');
    const gw = started.gateway;
    gateway = gw;
    const gatewayStartupMs = started.startupMs;
    const sub = started.subscriber;
    subscriber = sub;
    const ctx: Context = { options, server: srv, gateway: gw, subscriber: sub };
    await waitFor(
      () => sub.tracker.goodCount >= options.items,
      90_000,
      () => alive(ctx),
      () => `a good value on all ${options.items} item topics (have ${sub.tracker.goodCount})\n--- gateway ---\n${gw.logTail()}`,
      () => exitedError(ctx, 'before every item was published'),
    );
    const allValuesMs = Date.now() - started.startedAt;
    progress(`all ${fmtInt(options.items)} items published ${fmtNum(allValuesMs / 1000, 1)} s after the gateway started`);

    const phases: PhaseResult[] = [];
    const baselines: BaselineResult[] = [];
    let peakRssBytes = 0;
    const skipped: string[] = [];
    for (const name of options.loads) {
      if (Date.now() + phaseMs(options) > deadline) {
        skipped.push(name);
        continue;
      }
      srv.reportTo(BASELINE_APPLICATION);
      baselines.push(await runBaselinePhase(options, srv, bare, name));
      srv.reportTo(GATEWAY_APPLICATION);
      const phase = await runPhase(ctx, name);
      phases.push(phase);
      peakRssBytes = Math.max(peakRssBytes, ...phase.rssSamples);
    }
    // VmHWM: the highest RSS the gateway ever had, between our samples too.
    const hwm = statusField(gw.pid, 'VmHWM') * 1024;
    if (Number.isFinite(hwm)) peakRssBytes = Math.max(peakRssBytes, hwm);
    const problems = gw.problems();
    await bare.stop(5000);
    baseline = undefined;
    await sub.client.endAsync();
    subscriber = undefined;
    progress('stopping');
    // Under --cpu-prof the profiles are only written by a clean exit: give a backlogged gateway longer.
    const stop = await gw.stop(options.cpuProfDir === undefined ? 8000 : 60_000);
    gateway = undefined;
    // Let readline deliver the last lines.
    await sleep(100);
    const stopTail = gw.logTail();
    return {
      options,
      samplingMs,
      gatewayPid: gw.pid,
      serverStartupMs: srv.startupMs,
      gatewayStartupMs,
      allValuesMs,
      phases,
      baselines,
      baselineStartupMs: bare.startupMs,
      skipped,
      peakRssBytes,
      problems,
      badMessages: sub.badMessages,
      malformed: sub.malformed,
      stop,
      stopTail,
    };
  } finally {
    if (subscriber && !subscriber.client.disconnected) subscriber.client.end(true);
    if (gateway) await gateway.stop(5000);
    if (baseline) await baseline.stop(5000);
    if (server) await server.stop(5000);
    removeTempDir(dir);
  }
}

/** --footprint: every size × every script at the first --sampling-ms. */
async function footprintMain(options: Options, sizes: number[], hostBusyBefore: number, cores: number): Promise<number> {
  const started = Date.now();
  const samplingMs = options.samplingMs[0] ?? 0;
  const { results, failures } = await runFootprint(options, sizes, samplingMs);
  if (results.length > 0) process.stdout.write(`\n${footprintReport(options, results, samplingLabel(samplingMs))}\n`);
  process.stdout.write(`\n(host ${fmtNum(hostBusyBefore * 100, 0)} % busy before the start, ${cores} cores; total ${fmtNum((Date.now() - started) / 1000, 0)} s)\n`);
  if (failures.length > 0) {
    process.stdout.write(`\nFAILED: ${failures.join('; ')}\n`);
    return 1;
  }
  return 0;
}

async function main(): Promise<number> {
  const parsed = optionsOrExitCode(parseOptions, USAGE);
  if ('exitCode' in parsed) return parsed.exitCode;
  const { options } = parsed;
  const stale = distWarning(REPO_ROOT);
  if (stale !== undefined) progress(`warning: ${stale}`);
  const cores = availableParallelism();
  const host0 = hostBusyCpuSeconds();
  await sleep(1000);
  const hostBusyBefore = (hostBusyCpuSeconds() - host0) / cores;
  progress(`host busy before the start: ${fmtNum(hostBusyBefore * 100, 0)} % of ${cores} cores`);
  if (options.cpuProfDir !== undefined) mkdirSync(options.cpuProfDir, { recursive: true });
  if (options.footprint !== undefined) return footprintMain(options, options.footprint, hostBusyBefore, cores);

  const started = Date.now();
  const failures: string[] = [];
  const verdicts: string[] = [];
  const deadline = started + options.budgetMs;
  for (const samplingMs of options.samplingMs) {
    // A configuration needs its start (server, gateway, every item published: ~10 s) and one load.
    if (Date.now() + 15_000 + phaseMs(options) > deadline) {
      verdicts.push(`  ${samplingLabel(samplingMs)}: skipped, it would end after the ${options.budgetMs / 1000} s budget (--budget)`);
      continue;
    }
    let measurements: Measurements;
    try {
      measurements = await run(options, samplingMs, deadline);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      process.stdout.write(`\n${samplingLabel(samplingMs)}: the run failed: ${message}\n`);
      failures.push(`${samplingLabel(samplingMs)}: ${message.split('\n')[0] ?? ''}`);
      continue;
    }
    const result = report(measurements);
    process.stdout.write(`\n${result.text}\n\n${baselineReport(measurements)}\n`);
    failures.push(...result.failures.map((f) => `${samplingLabel(samplingMs)}: ${f}`));
    for (const name of measurements.skipped) verdicts.push(`  ${samplingLabel(samplingMs)}, ${name}: skipped, it would end after the ${options.budgetMs / 1000} s budget (--budget)`);
    for (const p of measurements.phases) {
      const x = figures(p, options.items);
      verdicts.push(
        `  ${samplingLabel(samplingMs)}, ${p.name} (${p.label}): ${fmtInt(x.changesPerS)} changes/s made, ` +
          `delivered ${fmtNum(x.deliveredRatio * 100, 2)} % ${verdict(x.allDelivered)}, p99 ${ms(x.p99)} ${verdict(x.p99Ok)}, ` +
          `RSS ${fmtNum(x.rssPeakMb, 0)} MB ${verdict(x.rssOk)}, gateway CPU ${fmtNum((p.gatewayCpuSeconds / p.windowS) * 100, 0)} %`,
      );
      const b = measurements.baselines.find((r) => r.name === p.name);
      if (b !== undefined) verdicts.push(`    ${costLine(p, b)}`);
    }
    if (options.cpuProfDir !== undefined) {
      try {
        process.stdout.write(`\n${profileReport(options.cpuProfDir, measurements)}\n`);
      } catch (error) {
        process.stdout.write(`\nprofile summary failed: ${(error as Error).message}\n`);
      }
    }
  }
  process.stdout.write(
    `\nSummary (host ${fmtNum(hostBusyBefore * 100, 0)} % busy before the start, ${cores} cores; total ${fmtNum((Date.now() - started) / 1000, 0)} s):\n${verdicts.length > 0 ? verdicts.join('\n') : '  no load was measured'}\n`,
  );
  if (failures.length > 0) {
    process.stdout.write(`\nFAILED: ${failures.join('; ')}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:opcua failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
