/**
 * OPC UA connector benchmark: a node-opcua server in a separate child process with N Double
 * variables (default 10,000) that change in ticks; the gateway subscribes to all of them (one
 * subscription, monitored items in batches) and publishes each change to its broker; an MQTT.js
 * subscriber here receives bench/ua/# at QoS 0. For each load pattern, after a warm-up, a
 * steady-state window measures:
 *   - changes made by the server vs distinct changes delivered to the subscriber;
 *   - values/s received; source timestamp → receipt latency, p50/p99;
 *   - the gateway process's CPU (% of one core, every thread) and RSS.
 *
 *   node --import tsx bench/opcua/main.ts [--help]
 */
import { availableParallelism } from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { fmtInt, fmtNum } from '../shared/table.ts';
import { distWarning, startGatewayProcess, type GatewayProcess } from '../shared/measured-gateway.ts';
import { monotonicNowUs } from '../shared/cpu-profile.ts';
import { writeOpcuaGatewayConfig } from './config.ts';
import { statusField, threadCpuSeconds, threadDelta } from './proc.ts';
import { startOpcuaServer, type OpcuaServerProcess } from './server-client.ts';
import { MsHistogram, OpcuaSubscriber } from './subscriber.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { LOADS, MB, SERVER_MAX_ITEMS_PER_CALL, USAGE, parseOptions, type Options } from './options.ts';
import { samplingLabel, type Measurements, type PhaseResult } from './measurements.ts';
import { figures, ms, profileReport, report, verdict } from './report.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';

function progress(message: string): void {
  process.stderr.write(`[bench:opcua] ${message}\n`);
}



// --- one measured phase -----------------------------------------------------------------------

interface Context {
  options: Options;
  server: OpcuaServerProcess;
  gateway: GatewayProcess;
  subscriber: OpcuaSubscriber;
}

function alive(ctx: Context): boolean {
  return ctx.gateway.alive() && ctx.server.alive();
}

/** The error for a child that went away, with what it said last. */
function exitedError(ctx: Context, when: string): Error {
  const tail = ctx.gateway.logTail();
  const signalled = /"msg":"stopping"/.test(tail) ? ' (the gateway logged "stopping": something outside this benchmark sent it a signal)' : '';
  const which = [ctx.gateway.alive() ? '' : 'the gateway', ctx.server.alive() ? '' : 'the OPC UA server'].filter((s) => s !== '').join(' and ');
  return new Error(`${which} exited ${when}${signalled}\n--- gateway (tail) ---\n${tail}\n--- OPC UA server (tail) ---\n${ctx.server.logTail()}`);
}

async function runPhase(ctx: Context, name: string): Promise<PhaseResult> {
  const load = LOADS[name];
  if (load === undefined) throw new Error(`unknown load ${name}`);
  const { options, server, gateway, subscriber } = ctx;
  const changesPerS = (options.items / load.pattern.every) * (1000 / load.pattern.tickMs);
  progress(`load "${name}" (${load.label}: ${fmtInt(changesPerS)} changes/s): warm-up ${options.warmupMs / 1000} s, window ${options.windowMs / 1000} s`);
  server.setLoad(load.pattern);
  await sleep(options.warmupMs);
  if (!alive(ctx)) throw exitedError(ctx, 'during the warm-up');

  const before = await server.counts();
  const tally = subscriber.openPhase(before.ticks + 1);
  const receiptLatency = new MsHistogram();
  subscriber.receiptLatency = receiptLatency;
  const gw0 = gateway.cpuSeconds();
  const threads0 = threadCpuSeconds(gateway.pid);
  const srv0 = processTreeCpuSeconds(server.pid);
  const bench0 = process.cpuUsage();
  const host0 = hostBusyCpuSeconds();
  const mono0 = monotonicNowUs();
  const t0 = Date.now();
  const messages0 = subscriber.valueMessages;
  const rssSamples: number[] = [gateway.rssBytes()];
  const rssTimer = setInterval(() => {
    const rss = statusField(gateway.pid, 'VmRSS') * 1024; // NaN once the gateway is gone
    if (Number.isFinite(rss)) rssSamples.push(rss);
  }, 1000);
  await sleep(options.windowMs);
  clearInterval(rssTimer);
  if (!alive(ctx)) throw exitedError(ctx, 'during the window');
  const after = await server.counts();
  tally.toTick = after.ticks;
  subscriber.receiptLatency = undefined;
  const t1 = Date.now();
  const mono1 = monotonicNowUs();
  const gatewayCpuSeconds = gateway.cpuSeconds() - gw0;
  const gatewayThreads = threadDelta(threads0, threadCpuSeconds(gateway.pid));
  const serverCpuSeconds = processTreeCpuSeconds(server.pid) - srv0;
  const benchCpu = process.cpuUsage(bench0);
  const hostBusySeconds = hostBusyCpuSeconds() - host0;
  const messagesInWindow = subscriber.valueMessages - messages0;
  rssSamples.push(gateway.rssBytes());

  // Stop changing and wait for the window's last changes to come through: until all arrived, or
  // nothing at all arrived for 1.5 s (whatever is still queued somewhere is then lost), or 5 s.
  server.setLoad(null);
  const stopAt = Date.now();
  const expected = after.changes - before.changes;
  await waitFor(
    () => tally.delivered >= expected || Date.now() - Math.max(subscriber.lastMessageAt, stopAt) > 1500 || Date.now() - stopAt > 5000,
    20_000,
    () => alive(ctx),
    () => 'the last changes of the window',
    () => exitedError(ctx, 'after the window'),
  );
  const drainMs = Math.max(0, tally.lastDelivery - stopAt);
  return {
    name,
    label: load.label,
    pattern: load.pattern,
    windowS: (t1 - t0) / 1000,
    before,
    after,
    tally,
    receiptLatency,
    messagesInWindow,
    drainMs,
    gatewayCpuSeconds,
    gatewayThreads,
    serverCpuSeconds,
    benchCpuSeconds: (benchCpu.user + benchCpu.system) / 1e6,
    hostBusySeconds,
    rssSamples,
    monotonic: { from: mono0, to: mono1 },
  };
}

// --- the run ------------------------------------------------------------------------------------

/** One configuration: a fresh server and gateway, every load in turn. */
/** Wall time one load takes: warm-up, window, counts and drain (typically well under 3 s). */
function phaseMs(options: Options): number {
  return options.warmupMs + options.windowMs + 3000;
}

async function run(options: Options, samplingMs: number, deadline: number): Promise<Measurements> {
  const dir = makeTempDir('uns-bench-opcua-');
  let server: OpcuaServerProcess | undefined;
  let gateway: GatewayProcess | undefined;
  let subscriber: OpcuaSubscriber | undefined;
  try {
    progress(`${samplingLabel(samplingMs)}: starting the OPC UA server (node-opcua, ${fmtInt(options.items)} Double variables) in a child process`);
    server = await startOpcuaServer(
      {
        items: options.items,
        pkiDir: path.join(dir, 'server-pki'),
        minimumSamplingIntervalMs: samplingMs,
        minimumPublishingIntervalMs: options.publishingMs,
        maxMonitoredItemsPerCall: SERVER_MAX_ITEMS_PER_CALL,
      },
      REPO_ROOT,
      90_000,
    );
    const srv = server;
    const configFile = writeOpcuaGatewayConfig(path.join(dir, 'gateway'), {
      items: options.items,
      endpoint: srv.endpoint,
      publishingIntervalMs: options.publishingMs,
      samplingIntervalMs: samplingMs,
      maxItemsPerCall: SERVER_MAX_ITEMS_PER_CALL,
    });
    progress(`server at ${srv.endpoint} after ${fmtNum(srv.startupMs / 1000, 1)} s; starting the gateway${options.cpuProfDir === undefined ? '' : ` (under --cpu-prof → ${options.cpuProfDir})`}`);
    const started = Date.now();
    const gw = await startGatewayProcess({ repoRoot: REPO_ROOT, configFile, startTimeoutMs: 60_000, cpuProfDir: options.cpuProfDir, script: 'start' });
    gateway = gw;
    const gatewayStartupMs = Date.now() - started;
    const sub = await OpcuaSubscriber.connect(gw.port, options.items);
    subscriber = sub;
    const ctx: Context = { options, server: srv, gateway: gw, subscriber: sub };
    await waitFor(
      () => sub.goodCount >= options.items,
      90_000,
      () => alive(ctx),
      () => `a good value on all ${options.items} item topics (have ${sub.goodCount})\n--- gateway ---\n${gw.logTail()}`,
      () => exitedError(ctx, 'before every item was published'),
    );
    const allValuesMs = Date.now() - started;
    progress(`all ${fmtInt(options.items)} items published ${fmtNum(allValuesMs / 1000, 1)} s after the gateway started`);

    const phases: PhaseResult[] = [];
    let peakRssBytes = 0;
    const skipped: string[] = [];
    for (const name of options.loads) {
      if (Date.now() + phaseMs(options) > deadline) {
        skipped.push(name);
        continue;
      }
      const phase = await runPhase(ctx, name);
      phases.push(phase);
      peakRssBytes = Math.max(peakRssBytes, ...phase.rssSamples);
    }
    // VmHWM: the highest RSS the gateway ever had, between our samples too.
    const hwm = statusField(gw.pid, 'VmHWM') * 1024;
    if (Number.isFinite(hwm)) peakRssBytes = Math.max(peakRssBytes, hwm);
    const problems = gw.problems();
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
    if (server) await server.stop(5000);
    removeTempDir(dir);
  }
}

async function main(): Promise<number> {
  let options: Options | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (options === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const stale = distWarning(REPO_ROOT);
  if (stale !== undefined) progress(`warning: ${stale}`);
  const cores = availableParallelism();
  const host0 = hostBusyCpuSeconds();
  await sleep(1000);
  const hostBusyBefore = (hostBusyCpuSeconds() - host0) / cores;
  progress(`host busy before the start: ${fmtNum(hostBusyBefore * 100, 0)} % of ${cores} cores`);
  if (options.cpuProfDir !== undefined) mkdirSync(options.cpuProfDir, { recursive: true });

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
    process.stdout.write(`\n${result.text}\n`);
    failures.push(...result.failures.map((f) => `${samplingLabel(samplingMs)}: ${f}`));
    for (const name of measurements.skipped) verdicts.push(`  ${samplingLabel(samplingMs)}, ${name}: skipped, it would end after the ${options.budgetMs / 1000} s budget (--budget)`);
    for (const p of measurements.phases) {
      const x = figures(p, options.items);
      verdicts.push(
        `  ${samplingLabel(samplingMs)}, ${p.name} (${p.label}): ${fmtInt(x.changesPerS)} changes/s made, ` +
          `delivered ${fmtNum(x.deliveredRatio * 100, 2)} % ${verdict(x.allDelivered)}, p99 ${ms(x.p99)} ${verdict(x.p99Ok)}, ` +
          `RSS ${fmtNum(x.rssPeakMb, 0)} MB ${verdict(x.rssOk)}, gateway CPU ${fmtNum((p.gatewayCpuSeconds / p.windowS) * 100, 0)} %`,
      );
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
