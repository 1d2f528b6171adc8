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
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { fmtInt, fmtNum } from '../shared/table.ts';
import { distWarning, startGatewayProcess, type GatewayProcess } from '../shared/measured-gateway.ts';
import { mergeProfiles, monotonicNowUs, profileFiles, summariseProfile, type FunctionCost, type MonotonicWindowUs } from '../shared/cpu-profile.ts';
import { writeOpcuaGatewayConfig } from './config.ts';
import { statusField, threadCpuSeconds, threadDelta, type ThreadShare } from './proc.ts';
import type { LoadPattern, ServerCounts } from './protocol.ts';
import { startOpcuaServer, type OpcuaServerProcess } from './server-client.ts';
import { MsHistogram, OpcuaSubscriber, type PhaseTally } from './subscriber.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MB = 1_000_000;
const TARGET_P99_MS = 50;
const TARGET_RSS_MB = 300;
const SERVER_MAX_ITEMS_PER_CALL = 1000;

/** The load patterns the benchmark knows, by name. */
const LOADS: Record<string, { pattern: LoadPattern; label: string }> = {
  full: { pattern: { tickMs: 100, every: 1 }, label: 'all every 100 ms' },
  tenth: { pattern: { tickMs: 100, every: 10 }, label: '10 % every 100 ms' },
  '1s': { pattern: { tickMs: 1000, every: 1 }, label: 'all every 1 s' },
  // The same rates with the changes spread over each 100 ms rather than made in one burst: items of a
  // plant change at their own moments, not all in one instant.
  'full-spread': { pattern: { tickMs: 10, every: 10 }, label: 'all every 100 ms, a tenth every 10 ms' },
  'tenth-spread': { pattern: { tickMs: 10, every: 100 }, label: '10 % every 100 ms, 1 % every 10 ms' },
};

const USAGE = `usage: node --import tsx bench/opcua/main.ts [options]
  --items N            Double variables on the server, all mapped (default 10000)
  --loads LIST         comma-separated change patterns, measured in this order
                       (default tenth-spread,full-spread,tenth,full):
                         full   every item changes every 100 ms (items × 10 changes/s)
                         tenth  a rotating 10 % of the items changes every 100 ms
                         1s     every item changes every 1 s
                         full-spread, tenth-spread: the rates of full and tenth, with the changes
                                made a tenth at a time every 10 ms rather than all in one burst
  --warmup S           seconds of load before each window (default 10)
  --window S           steady-state window per load, seconds (default 20)
  --publishing-ms N    the device's publishingIntervalMs, also the fastest one the server grants
                       (default 10)
  --sampling-ms LIST   comma-separated samplingIntervalMs of the device, also the variables'
                       MinimumSamplingInterval; the whole run (server, gateway, every load) is repeated
                       for each. 0 = exception-based monitored items: the server reports each change
                       as it is made instead of sampling every item on a timer (default 0)
  --budget S           soft time budget in seconds: a load (or a configuration) that would end after
                       it is skipped and reported as such (default 170)
  --cpu-prof DIR       run the gateway under node --cpu-prof, keep the profiles in DIR and print the
                       top self-time functions of each window (CPU figures are then inflated; the
                       profiled gateway is slower to start and stop, so give it a larger --budget)
  -h, --help           this help
Targets (from the issue): every change delivered, p99 source → subscriber < ${TARGET_P99_MS} ms, gateway RSS < ${TARGET_RSS_MB} MB.`;

interface Options {
  items: number;
  loads: string[];
  warmupMs: number;
  windowMs: number;
  publishingMs: number;
  samplingMs: number[];
  budgetMs: number;
  cpuProfDir: string | undefined;
}

function intOption(value: string | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min} … ${max}`);
  return n;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      items: { type: 'string' },
      loads: { type: 'string' },
      warmup: { type: 'string' },
      window: { type: 'string' },
      'publishing-ms': { type: 'string' },
      'sampling-ms': { type: 'string' },
      budget: { type: 'string' },
      'cpu-prof': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const loads = (values.loads ?? 'tenth-spread,full-spread,tenth,full').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const name of loads) if (LOADS[name] === undefined) throw new Error(`--loads: unknown pattern "${name}" (known: ${Object.keys(LOADS).join(', ')})`);
  if (loads.length === 0) throw new Error('--loads: give at least one pattern');
  return {
    items: intOption(values.items, 10_000, 'items', 1, 200_000),
    loads,
    warmupMs: intOption(values.warmup, 10, 'warmup', 0, 600) * 1000,
    windowMs: intOption(values.window, 20, 'window', 1, 600) * 1000,
    publishingMs: intOption(values['publishing-ms'], 10, 'publishing-ms', 10, 60_000),
    samplingMs: (values['sampling-ms'] ?? '0').split(',').map((v) => intOption(v.trim(), 50, 'sampling-ms', 0, 60_000)),
    budgetMs: intOption(values.budget, 170, 'budget', 10, 3600) * 1000,
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
  };
}

function progress(message: string): void {
  process.stderr.write(`[bench:opcua] ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

async function waitFor(condition: () => boolean, timeoutMs: number, alive: () => boolean, what: () => string, exited?: () => Error): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (!alive()) throw exited?.() ?? new Error(`a process exited while waiting for ${what()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(100);
  }
}

// --- one measured phase -----------------------------------------------------------------------

interface PhaseResult {
  name: string;
  label: string;
  pattern: LoadPattern;
  windowS: number;
  /** Server snapshots at the window's start and end. */
  before: ServerCounts;
  after: ServerCounts;
  tally: PhaseTally;
  /** Age (receipt − source timestamp) of every good value received during the window, whatever its tick. */
  receiptLatency: MsHistogram;
  /** Value messages received (any tick) during the window. */
  messagesInWindow: number;
  /** After the load stopped, until the last change of the window arrived. */
  drainMs: number;
  gatewayCpuSeconds: number;
  gatewayThreads: ThreadShare[];
  serverCpuSeconds: number;
  benchCpuSeconds: number;
  hostBusySeconds: number;
  rssSamples: number[];
  monotonic: MonotonicWindowUs;
}

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

interface Measurements {
  options: Options;
  samplingMs: number;
  gatewayPid: number;
  serverStartupMs: number;
  gatewayStartupMs: number;
  allValuesMs: number;
  phases: PhaseResult[];
  /** Loads left out because they would have ended after the time budget. */
  skipped: string[];
  peakRssBytes: number;
  problems: string[];
  badMessages: number;
  malformed: number;
  stop: { code: number | null; signal: NodeJS.Signals | null; forced: boolean } | undefined;
  /** The gateway's last log lines after it stopped. */
  stopTail: string;
}

function samplingLabel(samplingMs: number): string {
  return samplingMs === 0 ? 'exception-based (samplingIntervalMs 0)' : `samplingIntervalMs ${samplingMs}`;
}

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

// --- the report ---------------------------------------------------------------------------------

/** Plain-text table: first column left-aligned, the others right-aligned. */
function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Milliseconds, or n/a when there is no sample. */
function ms(v: number): string {
  return Number.isFinite(v) ? `${fmtNum(v, 0)} ms` : 'n/a';
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

interface PhaseFigures {
  changes: number;
  changesPerS: number;
  nominalPerS: number;
  deliveredRatio: number;
  missing: number;
  p50: number;
  p99: number;
  rssPeakMb: number;
  allDelivered: boolean;
  p99Ok: boolean;
  rssOk: boolean;
}

function figures(p: PhaseResult, items: number): PhaseFigures {
  const changes = p.after.changes - p.before.changes;
  const serverS = (p.after.at - p.before.at) / 1000;
  const missing = Math.max(0, changes - p.tally.delivered);
  const p50 = p.tally.latency.percentile(50);
  const p99 = p.tally.latency.percentile(99);
  const rssPeakMb = Math.max(...p.rssSamples) / MB;
  return {
    changes,
    changesPerS: changes / serverS,
    nominalPerS: (items / p.pattern.every) * (1000 / p.pattern.tickMs),
    deliveredRatio: changes > 0 ? p.tally.delivered / changes : Number.NaN,
    missing,
    p50,
    p99,
    rssPeakMb,
    allDelivered: changes > 0 && missing === 0,
    p99Ok: p99 < TARGET_P99_MS,
    rssOk: rssPeakMb < TARGET_RSS_MB,
  };
}

/** Main thread, the busiest other thread (the OPC UA worker, normally), and the rest, % of a core. */
function threadsText(p: PhaseResult, gatewayPid: number): string {
  const pct = (seconds: number): string => fmtNum((seconds / p.windowS) * 100, 0);
  const main = p.gatewayThreads.find((t) => t.tid === gatewayPid)?.seconds ?? 0;
  const others = p.gatewayThreads.filter((t) => t.tid !== gatewayPid);
  const busiest = others[0]?.seconds ?? 0;
  const rest = others.slice(1).reduce((sum, t) => sum + t.seconds, 0);
  return `${pct(main)} / ${pct(busiest)} / ${pct(rest)}`;
}

function report(m: Measurements): { text: string; failures: string[] } {
  const o = m.options;
  const cores = availableParallelism();
  const f = m.phases.map((p) => figures(p, o.items));
  const col = (fn: (p: PhaseResult, x: PhaseFigures) => string): string[] => m.phases.map((p, i) => fn(p, f[i] as PhaseFigures));
  const pctOfCore = (seconds: number, p: PhaseResult): string => `${fmtNum((seconds / p.windowS) * 100, 0)} %`;
  const rows: string[][] = [
    ['Changes made by the server /s', '', ...col((_p, x) => `${fmtInt(x.changesPerS)} of ${fmtInt(x.nominalPerS)}`)],
    ['Data changes sent by the server /s', '', ...col((p) => fmtInt((p.after.notificationsSent - p.before.notificationsSent) / ((p.after.at - p.before.at) / 1000)))],
    ['Values received by the subscriber /s', '', ...col((p) => fmtInt(p.messagesInWindow / p.windowS))],
    ['Changes delivered (distinct)', 'all', ...col((_p, x) => `${fmtNum(x.deliveredRatio * 100, 2)} % ${verdict(x.allDelivered)}`)],
    ['  delivered / made in the window', '', ...col((p, x) => `${fmtInt(p.tally.delivered)} / ${fmtInt(x.changes)}`)],
    ['Source timestamp → subscriber p50', '', ...col((_p, x) => ms(x.p50))],
    ['Source timestamp → subscriber p99', `< ${TARGET_P99_MS} ms`, ...col((_p, x) => `${ms(x.p99)} ${verdict(x.p99Ok)}`)],
    ['  mean / max', '', ...col((p) => (p.tally.latency.count > 0 ? `${fmtNum(p.tally.latency.mean(), 1)} / ${fmtInt(p.tally.latency.max)} ms` : 'n/a'))],
    ['  age of values received in the window p50 / p99', '', ...col((p) => `${ms(p.receiptLatency.percentile(50))} / ${ms(p.receiptLatency.percentile(99))}`)],
    ['Gateway CPU, % of one core', '', ...col((p) => `${fmtNum((p.gatewayCpuSeconds / p.windowS) * 100, 1)} %`)],
    ['  main / busiest other thread / rest', '', ...col((p) => threadsText(p, m.gatewayPid))],
    ['Gateway RSS, peak in the window', `< ${TARGET_RSS_MB} MB`, ...col((_p, x) => `${fmtNum(x.rssPeakMb, 0)} MB ${verdict(x.rssOk)}`)],
    ['OPC UA server process CPU', '', ...col((p) => pctOfCore(p.serverCpuSeconds, p))],
    ['  tick busy mean / max', '', ...col((p) => `${fmtNum(p.after.meanTickMs, 0)} / ${fmtNum(p.after.maxTickMs, 0)} ms`)],
    ['  tick slots skipped, loop delay p99', '', ...col((p) => `${fmtInt(p.after.skippedSlots - p.before.skippedSlots)}, ${fmtNum(p.after.loopDelayP99Ms, 0)} ms`)],
    ['Subscriber (this process) CPU', '', ...col((p) => pctOfCore(p.benchCpuSeconds, p))],
    ['Other processes on the host, CPU', '', ...col((p) => pctOfCore(Math.max(0, p.hostBusySeconds - p.gatewayCpuSeconds - p.serverCpuSeconds - p.benchCpuSeconds), p))],
    [`Host busy, % of ${cores} cores`, '', ...col((p) => `${fmtNum((p.hostBusySeconds / p.windowS / cores) * 100, 0)} %`)],
    ['Drain: load stop → last change of the window', '', ...col((p) => `${fmtInt(p.drainMs)} ms`)],
  ];
  const headers = ['measure', 'target', ...m.phases.map((p) => `${p.name}: ${p.label}`)];
  const lines = [
    `OPC UA connector benchmark: node-opcua server (child process) with ${fmtInt(o.items)} Double variables → gateway (1 session, 1 subscription) → MQTT.js subscriber on bench/ua/# at QoS 0`,
    `publishingIntervalMs ${o.publishingMs}, ${samplingLabel(m.samplingMs)} (MinimumSamplingInterval ${m.samplingMs}), ${SERVER_MAX_ITEMS_PER_CALL} items per CreateMonitoredItems call; ` +
      `each load: ${o.warmupMs / 1000} s warm-up, ${o.windowMs / 1000} s window`,
    `(server ready ${fmtNum(m.serverStartupMs / 1000, 1)} s; gateway start → listener ready ${fmtNum(m.gatewayStartupMs / 1000, 1)} s, → all ${fmtInt(o.items)} items published ${fmtNum(m.allValuesMs / 1000, 1)} s)`,
    '',
    formatTable(headers, rows),
    '',
    `Gateway RSS peak over the whole run (VmHWM): ${fmtNum(m.peakRssBytes / MB, 0)} MB ${verdict(m.peakRssBytes / MB < TARGET_RSS_MB)} (target < ${TARGET_RSS_MB} MB).`,
    'Delivered = distinct (item, tick) changes of the window\'s ticks that reached the subscriber, whenever they arrived; made = setValueFromSource calls in those ticks.',
    'Latency = Date.now() at the subscriber − the payload timestamp (the OPC UA source timestamp set by setValueFromSource); it includes the server\'s',
    `${m.samplingMs === 0 ? 'publishing' : `sampling (up to ${m.samplingMs} ms) and publishing`} (up to ${o.publishingMs} ms) wait${m.samplingMs === 0 ? '' : 's'}. MB = 10^6 bytes (VmRSS); CPU = utime+stime / window wall time;`,
    'gateway threads: the main thread / the busiest other thread (the OPC UA worker) / all other threads (GC helpers, libuv).',
  ];
  for (const p of m.phases) {
    const x = figures(p, o.items);
    const extras = [
      p.tally.duplicates > 0 ? `${fmtInt(p.tally.duplicates)} duplicates` : '',
      p.tally.outOfOrder > 0 ? `${fmtInt(p.tally.outOfOrder)} out of order` : '',
      p.tally.latency.negative > 0 ? `${fmtInt(p.tally.latency.negative)} with receipt < source timestamp` : '',
    ].filter((s) => s !== '');
    lines.push(
      `${p.name}: ${fmtInt(x.missing)} of ${fmtInt(x.changes)} changes not delivered${extras.length > 0 ? `; ${extras.join(', ')}` : ''}. ` +
        `Targets: delivery ${verdict(x.allDelivered)}, p99 ${verdict(x.p99Ok)}, RSS ${verdict(x.rssOk)}.`,
    );
  }
  if (m.skipped.length > 0) lines.push(`Skipped, they would have ended after the ${o.budgetMs / 1000} s budget (--budget): ${m.skipped.join(', ')}.`);
  lines.push(
    `${fmtInt(m.badMessages)} bad-quality and ${fmtInt(m.malformed)} malformed messages; ${m.problems.length} gateway warn/error log lines.`,
    `Gateway stop: ${m.stop === undefined ? 'n/a' : `exit code ${m.stop.code}${m.stop.signal ? `, signal ${m.stop.signal}` : ''}${m.stop.forced ? ' (still running after the grace period that followed SIGINT: killed)' : ''}`}.`,
  );
  for (const line of m.problems.slice(0, 5)) lines.push(`  gateway: ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
  if (m.stop !== undefined && m.stop.code !== 0) {
    // The error itself rather than its stack: stderr lines that are not stack frames, else the last lines.
    const tail = m.stopTail.split('\n');
    const errors = tail.filter((line) => line.startsWith('[stderr]') && !/^\[stderr\]\s+at /.test(line) && line.trim() !== '[stderr]');
    for (const line of (errors.length > 0 ? errors : tail).slice(-6)) lines.push(`  gateway: ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
  }

  // Misses are results; only a broken pipeline is a failure.
  const failures: string[] = [];
  for (const p of m.phases) {
    if (p.messagesInWindow === 0) failures.push(`load ${p.name}: the subscriber received nothing in the window`);
    if (p.after.changes === p.before.changes) failures.push(`load ${p.name}: the server made no change`);
  }
  if (m.stop !== undefined && m.stop.code !== 0 && !m.stop.forced) failures.push(`the gateway exited with code ${m.stop.code}${m.stop.signal ? `, signal ${m.stop.signal}` : ''} when stopped`);
  return { text: lines.join('\n'), failures };
}

function formatFunctions(functions: readonly FunctionCost[], n: number): string {
  const rows = functions.slice(0, n).map((fn, i) => [`${i + 1}. ${fn.name}`, fn.where, fmtNum(fn.selfMs, 0), `${fmtNum(fn.busyShare * 100, 1)} %`]);
  return formatTable(['function', 'where', 'self ms', 'of busy'], rows);
}

/** CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile → pid. */
function profilePid(file: string): number {
  return Number(path.basename(file).split('.')[3]);
}

function profileReport(dir: string, m: Measurements): string {
  const files = profileFiles(dir).filter((file) => profilePid(file) === m.gatewayPid);
  const lines: string[] = [];
  for (const phase of m.phases) {
    const window = phase.monotonic;
    const windowS = (window.to - window.from) / 1e6;
    const profiles = files.map((file) => summariseProfile(file, REPO_ROOT, window));
    const main = profiles.find((p) => p.threadId === 0);
    const workers = profiles.filter((p) => p.threadId !== 0 && p.sampledMs > 0);
    lines.push(`=== Gateway CPU profile: ${samplingLabel(m.samplingMs)}, window of load "${phase.name}" (${phase.label})`);
    if (main === undefined) {
      lines.push(`no main-thread profile of pid ${m.gatewayPid} in ${dir}`);
    } else {
      lines.push(
        `Main thread (${path.basename(main.file)}): busy ${fmtNum(main.busyMs, 0)} ms of ${fmtNum(main.sampledMs, 0)} ms sampled (${fmtNum((main.busyMs / 1000 / windowS) * 100, 1)} % of a core)`,
        formatFunctions(main.functions, 15),
      );
    }
    if (workers.length > 0) {
      const merged = mergeProfiles(workers);
      lines.push(
        '',
        `OPC UA connector worker thread${workers.length === 1 ? '' : 's'} (${workers.map((w) => path.basename(w.file)).join(', ')}): busy ${fmtNum(merged.busyMs, 0)} ms (${fmtNum((merged.busyMs / 1000 / windowS) * 100, 1)} % of a core)`,
        formatFunctions(merged.functions, 15),
      );
    }
    lines.push('');
  }
  lines.push(`(profiles kept in ${dir}; (program) and (garbage collector) are V8 buckets; "of busy" = share of the thread's non-idle samples)`);
  return lines.join('\n');
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
