/** The bench:metrics report: CPU per message with metrics off and on, medians over the runs, and their ratio. */
import { median } from '../shared/stats.ts';
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';
import { cpuUsPerMessage, type Measurement } from './measurement.ts';

/** At most this much more CPU per message with metrics on. */
export const TARGET_RATIO = 1.03;

const HEADERS = [
  'load', 'runs', 'messages/run', 'off µs/msg', 'on µs/msg', 'on/off', 'per run', 'scraped/not', 'per run', 'others %core', 'scrapes/run', 'bytes/scrape', 'ms/scrape', 'scrapes alone',
];

/** One row of the table, and whether its on/off met the target. */
function row(what: string, measurements: readonly Measurement[], scrapeMs: number): { cells: string[]; met: boolean } {
  const off = measurements.filter((m) => m.what === what && m.mode === 'off');
  const on = measurements.filter((m) => m.what === what && m.mode === 'on');
  // Each run's on/off, off and on measured one after the other: drift between runs cancels out.
  const ratios = on.flatMap((m) => {
    const pair = off.find((o) => o.run === m.run);
    return pair ? [cpuUsPerMessage(m) / cpuUsPerMessage(pair)] : [];
  });
  const ratio = median(ratios);
  // The same process with and without scrapes: no difference between two processes in it.
  const sameProcess = on.flatMap((m) => (m.unscraped ? [cpuUsPerMessage(m) / cpuUsPerMessage(m.unscraped)] : []));
  const scrapeCpuMs = median(on.flatMap((m) => (m.scrapeCpuMs === undefined ? [] : [m.scrapeCpuMs])));
  // The share of a core the gateway uses under this load, and what one scrape every scrapeMs adds to it.
  const fromScrapes = 1 + scrapeCpuMs / scrapeMs / median(off.map((m) => m.cpuSeconds / m.seconds));
  const cells = [
    what,
    String(ratios.length),
    fmtInt(median(off.map((m) => m.messages))),
    fmtNum(median(off.map(cpuUsPerMessage)), 2),
    fmtNum(median(on.map(cpuUsPerMessage)), 2),
    fmtNum(ratio, 3),
    ratios.map((r) => fmtNum(r, 3)).join(' '),
    fmtNum(median(sameProcess), 3),
    sameProcess.map((r) => fmtNum(r, 3)).join(' '),
    fmtNum(median(measurements.filter((m) => m.what === what).map((m) => m.otherCores * 100)), 0),
    fmtInt(median(on.map((m) => m.scrapes))),
    fmtInt(median(on.map((m) => (m.scrapes > 0 ? m.scrapeBytes / m.scrapes : 0)))),
    fmtNum(scrapeCpuMs, 2),
    fmtNum(fromScrapes, 3),
  ];
  return { cells, met: ratio <= TARGET_RATIO };
}

/** The table, with whether each load met the target. `scrapeMs`: the scrape interval. */
export function report(measurements: readonly Measurement[], scrapeMs: number): string {
  const rows = [...new Set(measurements.map((m) => m.what))].map((what) => row(what, measurements, scrapeMs));
  const over = rows.filter((r) => !r.met).map((r) => r.cells[0]);
  return [
    formatTable(HEADERS, rows.map((r) => r.cells)),
    '  µs/msg: the gateway process\'s CPU (utime+stime, every thread, from /proc) per message delivered to the subscriber',
    '  (broker loads) or per value message published (modbus load), median over the runs. on/off: the median of each',
    '  run\'s on/off ("per run"). Metrics on: the http: listener, /metrics scraped every interval during the measured part.',
    '  Each part runs four times on each gateway, A B B A: the middle two are the measurement (scraped with metrics on);',
    '  scraped/not: the "on" gateway\'s middle two over its first and last, unscraped: the cost of the scrapes on one',
    '  process, a drift over the four cancelling out.',
    '  others %core: CPU used meanwhile by other processes on the machine (100 = one core), the source of the noise.',
    '  ms/scrape: the gateway\'s CPU per scrape, measured apart over 200 scrapes (less its CPU without them) after each',
    '  "on" run; scrapes alone: the on/off that cost gives at one scrape per interval, at the load\'s CPU with metrics off.',
    `  target: on/off <= ${TARGET_RATIO} (${over.length === 0 ? 'met' : `not met: ${over.join(', ')}`})`,
  ].join('\n');
}
