/**
 * Modbus connector benchmark: N simulated Modbus TCP devices (in a separate child process), each with
 * R holding registers mapped as R uint16 tags, polled by the gateway every interval. Measures, over a
 * steady-state window after a warm-up:
 *   - read requests the simulators receive per scan, against one request per tag;
 *   - the gateway process's CPU (% of one core, every thread) and RSS;
 *   - register change in the simulator → value message at an MQTT subscriber, p50/p99;
 *   - /set → /set/result write round trip under the polling load, p50/p99.
 *
 *   node --import tsx bench/modbus/main.ts [--help]
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { percentile } from '../shared/stats.ts';
import { fmtInt, fmtNum } from '../shared/table.ts';
import { tagTopic, totalTags, writableTopic, writeGatewayConfig, type BenchLayout } from './config.ts';
import { distWarning, startGatewayProcess, type GatewayProcess } from '../shared/measured-gateway.ts';
import { startNodeFlags } from '../shared/start-flags.ts';
import { matchChanges, type ChangeLatencies, type Reception } from './latency.ts';
import { mergeProfiles, monotonicNowUs, profileFiles, summariseProfile, type FunctionCost, type MonotonicWindowUs } from '../shared/cpu-profile.ts';
import type { DeviceCounts } from './protocol.ts';
import { startSimulators, type CountsSnapshot, type Simulators } from './sim-client.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MB = 1_000_000;
const TARGET_RSS_MB = 120;
const TARGET_CPU_PCT = 5;
const MAX_REGISTERS_PER_READ = 125;
/** The planner's default: unused registers one read may span to join two tags. */
const DEFAULT_MAX_GAP = 10;
const WRITE_TIMEOUT_MS = 5000;

const USAGE = `usage: node --import tsx bench/modbus/main.ts [options]
  --devices N          simulated Modbus TCP devices (default 10)
  --registers N        holding registers per device, one uint16 tag each (default 1000)
  --interval-ms N      poll interval (default 1000)
  --changes N          random register changes per device per second (default 20)
  --warmup S           seconds of warm-up before the window (default 10)
  --window S           steady-state window in seconds (default 30)
  --writes N           /set round trips, one at a time, spread over the window (default 100)
  --sub-qos 0|1        QoS of the bench/# subscription (default 1)
  --start LIST         npm scripts to run the gateway as, one measurement each, comma-separated
                       (default start,start:lowmem: V8's default heap, then the low-memory profile)
  --cpu-prof DIR       run the gateway under node --cpu-prof, keep the profiles in DIR and print
                       the top self-time functions of the window (CPU figures are then inflated)
  -h, --help           this help
One tag per device (the last register) is mapped writable and is the one the writes go to;
random changes leave it alone.`;

interface Options {
  devices: number;
  registers: number;
  intervalMs: number;
  changesPerDeviceS: number;
  warmupMs: number;
  windowMs: number;
  writes: number;
  subQos: 0 | 1;
  cpuProfDir: string | undefined;
  scripts: string[];
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
      devices: { type: 'string' },
      registers: { type: 'string' },
      'interval-ms': { type: 'string' },
      changes: { type: 'string' },
      warmup: { type: 'string' },
      window: { type: 'string' },
      writes: { type: 'string' },
      'sub-qos': { type: 'string' },
      'cpu-prof': { type: 'string' },
      start: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  return {
    devices: intOption(values.devices, 10, 'devices', 1, 200),
    registers: intOption(values.registers, 1000, 'registers', 2, 65535),
    intervalMs: intOption(values['interval-ms'], 1000, 'interval-ms', 10, 60_000),
    changesPerDeviceS: intOption(values.changes, 20, 'changes', 0, 10_000),
    warmupMs: intOption(values.warmup, 10, 'warmup', 0, 600) * 1000,
    windowMs: intOption(values.window, 30, 'window', 1, 600) * 1000,
    writes: intOption(values.writes, 100, 'writes', 0, 100_000),
    subQos: intOption(values['sub-qos'], 1, 'sub-qos', 0, 1) === 0 ? 0 : 1,
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']),
    scripts: (values.start ?? 'start,start:lowmem').split(',').filter((script) => script !== ''),
  };
}

function progress(message: string): void {
  process.stderr.write(`[bench:modbus] ${message}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Read requests per full scan the block-read planner makes for one device of this layout. */
function plannedReadsPerDevice(layout: BenchLayout): number {
  const inRange = Math.ceil(layout.registers / MAX_REGISTERS_PER_READ);
  if (layout.writableAddress < layout.registers) return inRange;
  if (layout.writableAddress - layout.registers <= DEFAULT_MAX_GAP) return Math.ceil((layout.writableAddress + 1) / MAX_REGISTERS_PER_READ);
  return inRange + 1;
}

// --- the subscriber -------------------------------------------------------------------------

interface WriteOutcome {
  ok: boolean;
  value: unknown;
}

class Subscriber {
  /** Topics that have had a good value, to know when every tag is being published. */
  readonly goodTopics = new Set<string>();
  readonly receptions = new Map<string, Reception[]>();
  recording = false;
  valueMessages = 0;
  badMessages = 0;
  malformed = 0;
  private readonly pendingWrites = new Map<string, (outcome: WriteOutcome) => void>();

  constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
  }

  private onMessage(topic: string, payload: Buffer): void {
    const received = Date.now();
    if (topic.endsWith('/set')) return; // our own writes, echoed by bench/#
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      this.malformed++;
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) {
      this.malformed++;
      return;
    }
    const body = parsed as Record<string, unknown>;
    if (topic.endsWith('/set/result')) {
      const id = typeof body.id === 'string' ? body.id : undefined;
      const done = id === undefined ? undefined : this.pendingWrites.get(id);
      if (id !== undefined && done) {
        this.pendingWrites.delete(id);
        done({ ok: body.ok === true, value: body.value });
      }
      return;
    }
    const { value, timestamp, quality } = body;
    if (typeof timestamp !== 'number' || typeof quality !== 'string') {
      this.malformed++;
      return;
    }
    if (quality === 'good') this.goodTopics.add(topic);
    if (!this.recording) return;
    this.valueMessages++;
    if (quality !== 'good') {
      this.badMessages++;
      return;
    }
    if (typeof value !== 'number') return;
    const list = this.receptions.get(topic);
    const reception = { value, received, readAt: timestamp };
    if (list) list.push(reception);
    else this.receptions.set(topic, [reception]);
  }

  /** Publishes `{"value", "id"}` to `<topic>/set` and waits for the matching `/set/result`. */
  write(topic: string, value: number, id: string, timeoutMs: number): Promise<WriteOutcome | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingWrites.delete(id);
        resolve('timeout');
      }, timeoutMs);
      this.pendingWrites.set(id, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      this.client.publish(`${topic}/set`, JSON.stringify({ value, id }), { qos: 1 });
    });
  }
}

async function connectSubscriber(port: number, qos: 0 | 1): Promise<Subscriber> {
  const client = await connectAsync(
    `mqtt://127.0.0.1:${port}`,
    { clientId: `bench-modbus-${process.pid}`, protocolVersion: 4, clean: true, reconnectPeriod: 0, connectTimeout: 10_000, keepalive: 60 },
    false,
  );
  // Nagle would hold our small /set publishes back while earlier data is unacknowledged.
  if (client.stream instanceof Socket) client.stream.setNoDelay(true);
  const subscriber = new Subscriber(client);
  await client.subscribeAsync('bench/#', { qos });
  return subscriber;
}

// --- writes ---------------------------------------------------------------------------------

interface WriteStats {
  latenciesMs: number[];
  failed: number;
  timedOut: number;
  wrongValue: number;
}

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

interface Measurements {
  layout: Options & { tags: number };
  /** The npm script the gateway ran as, and its node flags. */
  script: string;
  nodeFlags: string[];
  startupMs: number;
  allValuesMs: number;
  windowS: number;
  cpuSeconds: number;
  simCpuSeconds: number;
  hostBusySeconds: number;
  rssSamples: number[];
  threads: number;
  /** Anonymous part of the RSS at the end of the window. */
  anonymousBytes: number;
  countsBefore: CountsSnapshot;
  countsAfter: CountsSnapshot;
  changes: ChangeLatencies;
  writes: WriteStats;
  valueMessages: number;
  badMessages: number;
  malformed: number;
  problems: string[];
  stop: { code: number | null; signal: NodeJS.Signals | null; forced: boolean } | undefined;
  monotonicWindow: MonotonicWindowUs;
}

async function waitFor(condition: () => boolean, timeoutMs: number, alive: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (!alive()) throw new Error(`gateway exited while waiting for ${what()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await sleep(100);
  }
}

async function run(options: Options, script: string): Promise<Measurements> {
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
    if (options.cpuProfDir !== undefined) mkdirSync(options.cpuProfDir, { recursive: true });
    progress(`starting the gateway: ${tags.toLocaleString('en-US')} tags${options.cpuProfDir === undefined ? '' : ` (under --cpu-prof → ${options.cpuProfDir})`}`);
    const started = Date.now();
    const gw = await startGatewayProcess({ repoRoot: REPO_ROOT, configFile, startTimeoutMs: 60_000, cpuProfDir: options.cpuProfDir, script });
    gateway = gw;
    const startupMs = Date.now() - started;
    const sub = await connectSubscriber(gw.port, options.subQos);
    subscriber = sub;
    await waitFor(() => sub.goodTopics.size >= tags, 60_000, gw.alive, () => `a good value on all ${tags} tag topics (have ${sub.goodTopics.size})`);
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
    const stop = await gw.stop(15_000);
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
    };
  } finally {
    if (subscriber && !subscriber.client.disconnected) subscriber.client.end(true);
    if (gateway) await gateway.stop(5000);
    if (sims) await sims.stop(5000);
    removeTempDir(dir);
  }
}

// --- the report -----------------------------------------------------------------------------

function delta(before: readonly DeviceCounts[], after: readonly DeviceCounts[], key: keyof DeviceCounts): number[] {
  return after.map((a, i) => a[key] - (before[i]?.[key] ?? 0));
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function p50p99(values: readonly number[], digits: number): string {
  return `${fmtNum(percentile(values, 50), digits)} / ${fmtNum(percentile(values, 99), digits)} ms`;
}

/** Plain-text table, every column left-aligned but numbers-only columns right-aligned. */
function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.every((r) => /^[\d.,% ]*$/.test(r[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

function report(m: Measurements): { text: string; failures: string[]; targetsMet: boolean } {
  const o = m.layout;
  const layout: BenchLayout = { devices: o.devices, registers: o.registers, writableAddress: o.registers - 1, intervalMs: o.intervalMs, timeoutMs: 1000 };
  // Request counts were snapshotted in the simulator process: use its own timestamps.
  const scansInWindow = (m.countsAfter.at - m.countsBefore.at) / o.intervalMs;
  const blockReads = delta(m.countsBefore.devices, m.countsAfter.devices, 'blockReads');
  const singleReads = sum(delta(m.countsBefore.devices, m.countsAfter.devices, 'singleReads'));
  const registerWrites = sum(delta(m.countsBefore.devices, m.countsAfter.devices, 'registerWrites'));
  const registersRead = sum(delta(m.countsBefore.devices, m.countsAfter.devices, 'registersRead'));
  const perScan = sum(blockReads) / scansInWindow;
  const perDevicePerScan = blockReads.map((n) => n / scansInWindow);
  const planned = plannedReadsPerDevice(layout) * o.devices;
  const cpuPct = (m.cpuSeconds / m.windowS) * 100;
  const rssPeakMb = Math.max(...m.rssSamples) / MB;
  const rssMeanMb = sum(m.rssSamples) / m.rssSamples.length / MB;
  const cpuOk = cpuPct < TARGET_CPU_PCT;
  const rssOk = rssPeakMb < TARGET_RSS_MB;
  const c = m.changes;
  const w = m.writes;
  const cores = availableParallelism();

  const rows: string[][] = [
    ['Setup', `${o.devices} device${o.devices === 1 ? '' : 's'} × ${fmtInt(o.registers)} uint16 = ${fmtInt(o.tags)} tags`, `poll ${o.intervalMs} ms; window ${m.windowS.toFixed(1)} s after ${o.warmupMs / 1000} s warm-up`, ''],
    ['Read requests per scan (FC 3)', fmtNum(perScan, 1), `planned ${planned} (${plannedReadsPerDevice(layout)}/device); one per tag: ${fmtInt(o.tags)}`, `${fmtNum(o.tags / perScan, 0)}× fewer`],
    ['  per device per scan, min – max', `${fmtNum(Math.min(...perDevicePerScan), 2)} – ${fmtNum(Math.max(...perDevicePerScan), 2)}`, `registers per read ${fmtNum(registersRead / Math.max(1, sum(blockReads)), 1)} (limit ${MAX_REGISTERS_PER_READ})`, ''],
    ['Gateway CPU, % of one core', `${fmtNum(cpuPct, 2)} %`, `< ${TARGET_CPU_PCT} %${o.cpuProfDir === undefined ? '' : ' (under --cpu-prof: inflated)'}`, verdict(cpuOk)],
    ['Gateway RSS, peak (mean)', `${fmtNum(rssPeakMb, 1)} MB (${fmtNum(rssMeanMb, 1)})`, `< ${TARGET_RSS_MB} MB`, verdict(rssOk)],
    ['  anonymous / file-backed at end', `${fmtNum(m.anonymousBytes / MB, 1)} / ${fmtNum((m.rssSamples.at(-1) ?? 0) / MB - m.anonymousBytes / MB, 1)} MB`, `${m.threads} threads`, ''],
    ['Change → subscriber, p50 / p99', p50p99(c.endToEnd, 0), `n ${fmtInt(c.endToEnd.length)} of ${fmtInt(c.changes)} changes`, ''],
    ['  change → poll read', p50p99(c.toRead, 0), `waiting for the next ${o.intervalMs} ms poll`, ''],
    ['  poll read → subscriber', p50p99(c.readToSubscriber, 0), 'worker → main thread → broker → socket', ''],
    ['Write round trip /set → /set/result', p50p99(w.latenciesMs, 1), `${w.latenciesMs.length} ok, ${w.failed} refused, ${w.timedOut} timed out`, ''],
    ['Value messages received', `${fmtNum(m.valueMessages / m.windowS, 1)} /s`, `${fmtInt(o.changesPerDeviceS * o.devices)} changes/s made`, ''],
    ['Simulator process CPU', `${fmtNum((m.simCpuSeconds / m.windowS) * 100, 1)} %`, `host busy ${fmtNum((m.hostBusySeconds / m.windowS / cores) * 100, 0)} % of ${cores} cores`, ''],
  ];
  const lines = [
    `Modbus connector benchmark: ${o.devices} simulated Modbus TCP device${o.devices === 1 ? '' : 's'} in a separate process, gateway at 127.0.0.1`,
    `gateway run as \`npm run ${m.script}\`: node ${m.nodeFlags.length === 0 ? '(no flags)' : m.nodeFlags.join(' ')}`,
    `(gateway start → listener ready ${fmtNum(m.startupMs / 1000, 1)} s, → all ${fmtInt(o.tags)} tags published ${fmtNum(m.allValuesMs / 1000, 1)} s)`,
    '',
    formatTable(['measure', 'value', 'target / reference', 'verdict'], rows),
    '',
    `Writes go to tag sp (holding ${fmtInt(o.registers - 1)}, the last mapped register, writable 0…65535) of each device in turn; random changes skip it.`,
    `Changes: ${fmtInt(c.changes)} made in the window, ${fmtInt(c.endToEnd.length)} seen, ${fmtInt(c.superseded)} overwritten before a poll, ${fmtInt(c.missed)} missed.`,
    `Window extras: ${fmtInt(singleReads)} single-register reads and ${fmtInt(registerWrites)} register writes (the /set write-backs); ` +
      `${fmtInt(m.badMessages)} bad-quality and ${fmtInt(m.malformed)} malformed messages; ${m.problems.length} gateway warn/error log lines.`,
    `MB = 10^6 bytes (VmRSS); CPU = utime+stime of every gateway thread / window wall time.`,
    `Gateway stop: ${m.stop === undefined ? 'n/a' : `exit code ${m.stop.code}${m.stop.signal ? `, signal ${m.stop.signal}` : ''}${m.stop.forced ? ' (killed after the grace period)' : ''}`}.`,
    `Targets: RSS ${verdict(rssOk)}, CPU ${verdict(cpuOk)}.`,
  ];
  for (const line of m.problems.slice(0, 5)) lines.push(`  gateway: ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);

  const failures: string[] = [];
  if (c.endToEnd.length === 0 && c.changes > 0) failures.push('no register change reached the subscriber');
  if (c.missed > Math.max(1, c.changes * 0.01)) failures.push(`${c.missed} of ${c.changes} changes never reached the subscriber`);
  if (w.failed + w.timedOut + w.wrongValue > 0) failures.push(`${w.failed} writes refused, ${w.timedOut} timed out, ${w.wrongValue} read back another value`);
  if (o.writes > 0 && w.latenciesMs.length === 0) failures.push('no write completed');
  if (sum(blockReads) === 0) failures.push('the simulators received no read requests');
  if (m.stop !== undefined && m.stop.code !== 0) failures.push(`the gateway did not stop cleanly (code ${m.stop.code}, signal ${m.stop.signal})`);
  return { text: lines.join('\n'), failures, targetsMet: cpuOk && rssOk };
}

function formatFunctions(functions: readonly FunctionCost[], n: number): string {
  const rows = functions.slice(0, n).map((f, i) => [`${i + 1}. ${f.name}`, f.where, fmtNum(f.selfMs, 0), `${fmtNum(f.busyShare * 100, 1)} %`]);
  return formatTable(['function', 'where', 'self ms', 'of busy'], rows);
}

function profileReport(dir: string, window: MonotonicWindowUs): string {
  const profiles = profileFiles(dir).map((file) => summariseProfile(file, REPO_ROOT, window));
  const main = profiles.find((p) => p.threadId === 0);
  const workers = profiles.filter((p) => p.threadId !== 0);
  const lines: string[] = [];
  if (main === undefined) return `no main-thread profile in ${dir}`;
  const windowS = (window.to - window.from) / 1e6;
  lines.push(
    `CPU profile of the gateway main thread in the window (${path.basename(main.file)}): busy ${fmtNum(main.busyMs, 0)} ms of ${fmtNum(main.sampledMs, 0)} ms sampled (${fmtNum((main.busyMs / 1000 / windowS) * 100, 1)} % of a core)`,
    formatFunctions(main.functions, 15),
  );
  if (workers.length > 0) {
    const merged = mergeProfiles(workers);
    lines.push(
      '',
      `Connector workers (${workers.length} threads, merged): busy ${fmtNum(merged.busyMs, 0)} ms (${fmtNum((merged.busyMs / 1000 / windowS) * 100, 1)} % of a core)`,
      formatFunctions(merged.functions, 10),
    );
  }
  lines.push(`(profiles kept in ${dir}; note (program) and (garbage collector) are V8 buckets)`);
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
  const failures: string[] = [];
  for (const script of options.scripts) {
    const measurements = await run(options, script);
    const result = report(measurements);
    failures.push(...result.failures.map((failure) => `${script}: ${failure}`));
    process.stdout.write(`\n${result.text}\n`);
    if (options.cpuProfDir !== undefined) {
      try {
        process.stdout.write(`\n${profileReport(options.cpuProfDir, measurements.monotonicWindow)}\n`);
      } catch (error) {
        process.stdout.write(`\nprofile summary failed: ${(error as Error).message}\n`);
      }
    }
  }
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
