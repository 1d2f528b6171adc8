/** The text report of bench:opcua --footprint: RSS and CPU per item count and start script, and the growth per 10,000 items. */
import { availableParallelism } from 'node:os';
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';
import type { FootprintResult } from './footprint.ts';
import type { PhaseResult } from './measurements.ts';
import { MB, type Options } from './options.ts';
import { figures, ms, verdict } from './report.ts';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/** The first load's window: the one the growth is computed from. */
function window(r: FootprintResult): PhaseResult | undefined {
  return r.phases[0];
}

function windowRssMb(r: FootprintResult): number {
  const p = window(r);
  return p === undefined ? Number.NaN : median(p.rssSamples) / MB;
}

function cpuPct(r: FootprintResult): number {
  const p = window(r);
  return p === undefined ? Number.NaN : (p.gatewayCpuSeconds / p.windowS) * 100;
}

function growthRows(results: readonly FootprintResult[], scripts: readonly string[]): string[][] {
  const rows: string[][] = [];
  for (const script of scripts) {
    const mine = results.filter((r) => r.script === script).sort((a, b) => a.items - b.items);
    const small = mine[0];
    const large = mine[mine.length - 1];
    if (small === undefined || large === undefined || large.items === small.items) continue;
    const per10k = (a: number, b: number): number => ((b - a) / (large.items - small.items)) * 10_000;
    rows.push([
      `npm ${script}`,
      `${fmtInt(small.items)} → ${fmtInt(large.items)}`,
      `${fmtNum(per10k(small.settledRssBytes / MB, large.settledRssBytes / MB), 1)} MB`,
      `${fmtNum(per10k(windowRssMb(small), windowRssMb(large)), 1)} MB`,
      `${fmtNum(per10k(small.anonymousBytes / MB, large.anonymousBytes / MB), 1)} MB`,
      `${fmtNum(per10k(cpuPct(small), cpuPct(large)), 1)} %`,
    ]);
  }
  return rows;
}

export function footprintReport(options: Options, results: readonly FootprintResult[], samplingLabel: string): string {
  const cores = availableParallelism();
  const name = options.loads[0] ?? '';
  const col = (fn: (r: FootprintResult, p: PhaseResult | undefined) => string): string[] => results.map((r) => fn(r, window(r)));
  const na = (p: PhaseResult | undefined, fn: (p: PhaseResult) => string): string => (p === undefined ? 'n/a' : fn(p));
  const rows: string[][] = [
    ['node flags', ...col((r) => (r.nodeFlags.length > 0 ? r.nodeFlags.join(' ') : '(none)'))],
    ['OPC UA server ready', ...col((r) => `${fmtNum(r.serverStartupMs / 1000, 1)} s`)],
    ['Gateway start → every item published', ...col((r) => `${fmtNum(r.allValuesMs / 1000, 1)} s`)],
    ['RSS, every item published', ...col((r) => `${fmtNum(r.settledRssBytes / MB, 0)} MB`)],
    ['RSS in the window, median / peak', ...col((r, p) => na(p, (q) => `${fmtNum(windowRssMb(r), 0)} / ${fmtNum(Math.max(...q.rssSamples) / MB, 0)} MB`))],
    ['Anonymous memory at the end (heaps, stacks)', ...col((r) => `${fmtNum(r.anonymousBytes / MB, 0)} MB`)],
    ['VmHWM (peak RSS over the gateway\'s life)', ...col((r) => `${fmtNum(r.hwmBytes / MB, 0)} MB`)],
    ['Threads', ...col((r) => fmtInt(r.threads))],
    ['Changes made by the server /s', ...col((r, p) => na(p, (q) => fmtInt(figures(q, r.items).changesPerS)))],
    ['Values received by the subscriber /s', ...col((_r, p) => na(p, (q) => fmtInt(q.messagesInWindow / q.windowS)))],
    ['Changes delivered (distinct)', ...col((r, p) => na(p, (q) => `${fmtNum(figures(q, r.items).deliveredRatio * 100, 2)} % ${verdict(figures(q, r.items).allDelivered)}`))],
    ['Source timestamp → subscriber p99', ...col((r, p) => na(p, (q) => `${ms(figures(q, r.items).p99)} ${verdict(figures(q, r.items).p99Ok)}`))],
    ['Gateway CPU, % of one core', ...col((r) => `${fmtNum(cpuPct(r), 1)} %`)],
    ['OPC UA server process CPU', ...col((_r, p) => na(p, (q) => `${fmtNum((q.serverCpuSeconds / q.windowS) * 100, 0)} %`))],
    [`Host busy, % of ${cores} cores`, ...col((_r, p) => na(p, (q) => `${fmtNum((q.hostBusySeconds / q.windowS / cores) * 100, 0)} %`))],
    ['Gateway warn/error log lines; exit code', ...col((r) => `${r.problems}; ${r.stopCode ?? 'killed'}`)],
  ];
  const headers = ['measure', ...results.map((r) => `npm ${r.script}, ${fmtInt(r.items)} items`)];
  const growth = growthRows(results, options.scripts);
  return [
    `OPC UA footprint: node-opcua server (child process) → gateway (1 session, 1 subscription) → MQTT.js subscriber on bench/ua/# at QoS 0;`,
    `publishingIntervalMs ${options.publishingMs}, ${samplingLabel}; load "${name}" (${options.loads.join(', ')}) from the gateway's start on,`,
    `then ${options.warmupMs / 1000} s warm-up and a ${options.windowMs / 1000} s window. MB = 10^6 bytes.`,
    '',
    formatTable(headers, rows),
    '',
    growth.length > 0
      ? formatTable(['Growth per 10,000 items', 'between', 'RSS settled', 'RSS in the window (median)', 'anonymous', 'CPU, % of one core'], growth)
      : 'Growth per 10,000 items: needs two sizes of the same script.',
  ].join('\n');
}
