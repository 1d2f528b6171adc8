/** The text report of bench:modbus. */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { median, percentile } from '../shared/stats.ts';
import { fmtInt, fmtNum, formatTable as formatSharedTable } from '../shared/table.ts';
import { type BenchLayout } from './config.ts';
import { mergeProfiles, profileFiles, summariseProfile, type FunctionCost, type MonotonicWindowUs } from '../shared/cpu-profile.ts';
import type { DeviceCounts } from './protocol.ts';
import { DEFAULT_MAX_GAP, MAX_REGISTERS_PER_READ, MB, TARGET_CPU_PCT, TARGET_RSS_MB, type Measurements } from './options.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { type SweepPoint } from './sweep.ts';

/** Read requests per full scan the block-read planner makes for one device of this layout. */
function plannedReadsPerDevice(layout: BenchLayout): number {
  const inRange = Math.ceil(layout.registers / MAX_REGISTERS_PER_READ);
  if (layout.writableAddress < layout.registers) return inRange;
  if (layout.writableAddress - layout.registers <= DEFAULT_MAX_GAP) return Math.ceil((layout.writableAddress + 1) / MAX_REGISTERS_PER_READ);
  return inRange + 1;
}

function delta(before: readonly DeviceCounts[], after: readonly DeviceCounts[], key: keyof DeviceCounts): number[] {
  return after.map((a, i) => a[key] - (before[i]?.[key] ?? 0));
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function p50p99(values: readonly number[], digits: number): string {
  return `${fmtNum(percentile(values, 50), digits)} / ${fmtNum(percentile(values, 99), digits)} ms`;
}

/** Numbers-only columns right-aligned, the others left-aligned. */
function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const numeric = headers.map((_, i) => rows.every((r) => /^[\d.,% ]*$/.test(r[i] ?? '')));
  return formatSharedTable(headers, rows, (column) => numeric[column] === true);
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

export function report(m: Measurements): { text: string; failures: string[]; targetsMet: boolean; point: SweepPoint } {
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
  const rssMedianMb = median(m.rssSamples) / MB;
  const cpuOk = cpuPct < TARGET_CPU_PCT;
  const rssOk = rssPeakMb < TARGET_RSS_MB;
  const c = m.changes;
  const w = m.writes;
  const cores = availableParallelism();
  const simCpuPct = (m.simCpuSeconds / m.windowS) * 100;
  const hostBusyPct = (m.hostBusySeconds / m.windowS / cores) * 100;

  const rows: string[][] = [
    ['Setup', `${o.devices} device${o.devices === 1 ? '' : 's'} × ${fmtInt(o.registers)} uint16 = ${fmtInt(o.tags)} tags`, `poll ${o.intervalMs} ms; window ${m.windowS.toFixed(1)} s after ${o.warmupMs / 1000} s warm-up`, ''],
    ['Read requests per scan (FC 3)', fmtNum(perScan, 1), `planned ${planned} (${plannedReadsPerDevice(layout)}/device); one per tag: ${fmtInt(o.tags)}`, `${fmtNum(o.tags / perScan, 0)}× fewer`],
    ['  per device per scan, min – max', `${fmtNum(Math.min(...perDevicePerScan), 2)} – ${fmtNum(Math.max(...perDevicePerScan), 2)}`, `registers per read ${fmtNum(registersRead / Math.max(1, sum(blockReads)), 1)} (limit ${MAX_REGISTERS_PER_READ})`, ''],
    ['Gateway CPU, % of one core', `${fmtNum(cpuPct, 2)} %`, `< ${TARGET_CPU_PCT} %${o.cpuProfDir === undefined ? '' : ' (under --cpu-prof: inflated)'}`, verdict(cpuOk)],
    ['Gateway RSS, peak (median)', `${fmtNum(rssPeakMb, 1)} MB (${fmtNum(rssMedianMb, 1)})`, `< ${TARGET_RSS_MB} MB`, verdict(rssOk)],
    ['  anonymous / file-backed at end', `${fmtNum(m.anonymousBytes / MB, 1)} / ${fmtNum((m.rssSamples.at(-1) ?? 0) / MB - m.anonymousBytes / MB, 1)} MB`, `${m.threads} threads`, ''],
    ['Change → subscriber, p50 / p99', p50p99(c.endToEnd, 0), `n ${fmtInt(c.endToEnd.length)} of ${fmtInt(c.changes)} changes`, ''],
    ['  change → poll read', p50p99(c.toRead, 0), `waiting for the next ${o.intervalMs} ms poll`, ''],
    ['  poll read → subscriber', p50p99(c.readToSubscriber, 0), 'worker → main thread → broker → socket', ''],
    ['Write round trip /set → /set/result', p50p99(w.latenciesMs, 1), `${w.latenciesMs.length} ok, ${w.failed} refused, ${w.timedOut} timed out`, ''],
    ['Value messages received', `${fmtNum(m.valueMessages / m.windowS, 1)} /s`, `${fmtInt(o.changesPerDeviceS * o.devices)} changes/s made`, ''],
    ['Simulator process CPU', `${fmtNum(simCpuPct, 1)} %`, `host busy ${fmtNum(hostBusyPct, 0)} % of ${cores} cores, load ${m.loadAverage.map((l) => fmtNum(l, 2)).join(' ')}`, ''],
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
    `Gateway stop: ${m.stop === undefined ? 'n/a' : `exit code ${m.stop.code}${m.stop.signal ? `, signal ${m.stop.signal}` : ''}${m.stop.forced ? ' (killed after the grace period)' : ''} after ${fmtNum(m.stop.stopMs / 1000, 1)} s`}.`,
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
  const point: SweepPoint = {
    script: m.script,
    tags: o.tags,
    devices: o.devices,
    rssMedianMb,
    rssPeakMb,
    cpuPct,
    simCpuPct,
    scansDonePct: (perScan / planned) * 100,
    valuesPerS: m.valueMessages / m.windowS,
    changesPerS: o.changesPerDeviceS * o.devices,
    p99Ms: percentile(c.endToEnd, 99),
    readyS: m.startupMs / 1000,
    allValuesS: m.allValuesMs / 1000,
    stopS: m.stop === undefined || m.stop.forced ? Number.NaN : m.stop.stopMs / 1000,
    hostBusyPct,
    load1: m.loadAverage[0] ?? Number.NaN,
  };
  return { text: lines.join('\n'), failures, targetsMet: cpuOk && rssOk, point };
}

function formatFunctions(functions: readonly FunctionCost[], n: number): string {
  const rows = functions.slice(0, n).map((f, i) => [`${i + 1}. ${f.name}`, f.where, fmtNum(f.selfMs, 0), `${fmtNum(f.busyShare * 100, 1)} %`]);
  return formatTable(['function', 'where', 'self ms', 'of busy'], rows);
}

export function profileReport(dir: string, window: MonotonicWindowUs): string {
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
