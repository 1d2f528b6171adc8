/** The bench:metrics report: CPU per message with metrics off and on, medians over the runs, and their ratio. */
import { median } from '../shared/stats.ts';
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';
import { cpuUsPerMessage, type Measurement } from './measurement.ts';

/** At most this much more CPU per message with metrics on. */
export const TARGET_RATIO = 1.03;

/**
 * The table, with whether each load's median ratio met the target. `scrapeMs`: the scrape interval, which,
 * with the CPU one scrape costs (measured apart), gives the ratio the scrapes alone account for.
 */
export function report(measurements: readonly Measurement[], scrapeMs: number): string {
  const whats = [...new Set(measurements.map((m) => m.what))];
  const rows: string[][] = [];
  const over: string[] = [];
  for (const what of whats) {
    const of = (mode: 'off' | 'on') => measurements.filter((m) => m.what === what && m.mode === mode);
    const off = of('off');
    const on = of('on');
    const offUs = median(off.map(cpuUsPerMessage));
    const onUs = median(on.map(cpuUsPerMessage));
    const ratio = onUs / offUs;
    // Each run's own ratio: the spread says how much of the median ratio is noise.
    const runRatios = on.flatMap((m) => {
      const pair = off.find((o) => o.run === m.run);
      return pair ? [cpuUsPerMessage(m) / cpuUsPerMessage(pair)] : [];
    });
    if (ratio > TARGET_RATIO) over.push(what);
    const scrapeCpuMs = median(on.flatMap((m) => (m.scrapeCpuMs === undefined ? [] : [m.scrapeCpuMs])));
    // Share of a core the gateway uses under this load, and what one scrape every scrapeMs adds to it.
    const offCores = median(off.map((m) => m.cpuSeconds / m.seconds));
    const fromScrapes = 1 + scrapeCpuMs / scrapeMs / offCores;
    rows.push([
      what,
      String(off.length),
      fmtInt(median(off.map((m) => m.messages))),
      fmtNum(offUs, 2),
      fmtNum(onUs, 2),
      fmtNum(ratio, 3),
      runRatios.map((r) => fmtNum(r, 3)).join(' '),
      fmtInt(median(on.map((m) => m.scrapes))),
      fmtInt(median(on.map((m) => (m.scrapes > 0 ? m.scrapeBytes / m.scrapes : 0)))),
      fmtNum(offCores * 100, 1),
      fmtNum(scrapeCpuMs, 2),
      fmtNum(fromScrapes, 3),
    ]);
  }
  const headers = ['load', 'runs', 'messages/run', 'off µs/msg', 'on µs/msg', 'on/off', 'per run', 'scrapes/run', 'bytes/scrape', 'off %core', 'ms/scrape', 'scrapes alone'];
  const table = formatTable(headers, rows);
  const lines = [
    table,
    '  µs/msg: the gateway process\'s CPU (utime+stime, every thread, from /proc) per message: per message delivered to the',
    '  subscriber for the broker loads, per value message published for the modbus load. Medians over the runs; "per run":',
    '  each run\'s on/off. Metrics on: the http: listener, /metrics scraped every interval during the measured part.',
    '  ms/scrape: the gateway\'s CPU per scrape, measured apart over 200 scrapes (less its CPU without them) after each',
    '  "on" run; scrapes alone: the on/off that cost gives at one scrape per interval on the load\'s "off %core", free of',
    '  the noise of other processes that the measured on/off carries on a shared machine.',
    `  target: on/off <= ${TARGET_RATIO} (${over.length === 0 ? 'met' : `not met: ${over.join(', ')}`})`,
  ];
  return lines.join('\n');
}
