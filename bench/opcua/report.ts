/** The text report of bench:opcua. */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';
import { mergeProfiles, profileFiles, summariseProfile, type FunctionCost } from '../shared/cpu-profile.ts';
import { samplingLabel, type Measurements, type PhaseResult } from './measurements.ts';
import { MB, SERVER_MAX_ITEMS_PER_CALL, TARGET_P99_MS, TARGET_RSS_MB } from './options.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';

/** Milliseconds, or n/a when there is no sample. */
export function ms(v: number): string {
  return Number.isFinite(v) ? `${fmtNum(v, 0)} ms` : 'n/a';
}

export function verdict(ok: boolean): string {
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

export function figures(p: PhaseResult, items: number): PhaseFigures {
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

export function report(m: Measurements): { text: string; failures: string[] } {
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

export function profileReport(dir: string, m: Measurements): string {
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
