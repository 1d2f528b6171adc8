/** The footprint sweep of bench:modbus (--tags): RSS and CPU against the tag count, and their growth per 10,000 tags. */
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';

/** One run's figures, as the sweep table shows them. */
export interface SweepPoint {
  script: string;
  tags: number;
  devices: number;
  rssMedianMb: number;
  rssPeakMb: number;
  /** Gateway CPU, % of one core, every thread. */
  cpuPct: number;
  simCpuPct: number;
  /** Read requests the simulators served per scan interval against the plan: < 100 % when scans overran or were skipped. */
  scansDonePct: number;
  valuesPerS: number;
  changesPerS: number;
  p99Ms: number;
  /** Gateway start → MQTT listener ready, → a good value on every tag topic. */
  readyS: number;
  allValuesS: number;
  /** SIGINT → exit; NaN when it had to be killed. */
  stopS: number;
  hostBusyPct: number;
  load1: number;
}

const PER = 10_000;

/** Least-squares slope of y against x. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    num += (x - mx) * ((ys[i] ?? 0) - my);
    den += (x - mx) ** 2;
  });
  return den === 0 ? Number.NaN : num / den;
}

function growthRows(points: readonly SweepPoint[]): string[][] {
  const scripts = [...new Set(points.map((p) => p.script))];
  return scripts.map((script) => {
    const mine = points.filter((p) => p.script === script);
    const xs = mine.map((p) => p.tags / PER);
    const per = (pick: (p: SweepPoint) => number): number => slope(xs, mine.map(pick));
    const rss = per((p) => p.rssMedianMb);
    const smallest = mine[0];
    const largest = mine.at(-1);
    const ratio = smallest && largest ? largest.rssMedianMb / smallest.rssMedianMb : Number.NaN;
    return [
      script,
      fmtNum(rss, 1),
      fmtNum(per((p) => p.rssPeakMb), 1),
      fmtInt((rss * 1e6) / PER),
      fmtNum(per((p) => p.cpuPct), 2),
      fmtNum(per((p) => p.simCpuPct), 2),
      fmtNum(per((p) => p.allValuesS), 1),
      fmtNum(per((p) => p.stopS), 1),
      smallest && largest ? `${fmtNum(ratio, 2)}× for ${fmtNum(largest.tags / smallest.tags, 0)}× tags` : '',
    ];
  });
}

export function sweepReport(points: readonly SweepPoint[]): string {
  const rows = points.map((p) => [
    p.script,
    fmtInt(p.tags),
    fmtInt(p.devices),
    fmtNum(p.rssMedianMb, 1),
    fmtNum(p.rssPeakMb, 1),
    fmtNum(p.cpuPct, 2),
    fmtNum(p.simCpuPct, 1),
    fmtNum(p.scansDonePct, 1),
    `${fmtInt(p.valuesPerS)} / ${fmtInt(p.changesPerS)}`,
    fmtInt(p.p99Ms),
    `${fmtNum(p.readyS, 1)} / ${fmtNum(p.allValuesS, 1)}`,
    Number.isNaN(p.stopS) ? 'killed' : fmtNum(p.stopS, 1),
    `${fmtInt(p.hostBusyPct)} / ${fmtNum(p.load1, 2)}`,
  ]);
  const headers = ['start script', 'tags', 'devices', 'RSS median MB', 'RSS peak MB', 'gateway CPU %', 'sim CPU %', 'scans done %', 'values/s / changes/s', 'p99 ms', 'ready / all values s', 'stop s', 'host busy % / load'];
  const growthHeaders = ['start script', 'RSS median MB', 'RSS peak MB', 'bytes per tag', 'gateway CPU %', 'sim CPU %', 'all values s', 'stop s', 'RSS median, largest / smallest'];
  return [
    `Footprint sweep: RSS and CPU of the gateway against the tag count (${points.length} runs)`,
    '',
    formatTable(headers, rows, (column) => column > 0),
    '',
    `Growth per ${fmtInt(PER)} tags (least-squares slope over the sizes):`,
    formatTable(growthHeaders, growthRows(points), (column) => column > 0 && column < growthHeaders.length - 1),
    '',
    'CPU = utime+stime of every gateway thread / window, % of one core; sim = the simulator child process.',
    'scans done = read requests served / planned per poll interval (< 100 %: a scan overran its interval or was skipped).',
    'values/s at the subscriber against register changes/s made (they scale with the devices); p99 = change → subscriber.',
    'ready / all values = gateway start → MQTT listener ready / → a good value on every tag topic; stop = SIGINT → exit.',
    'host busy = every CPU of the machine in the window, with the 1-minute load average at its end (the machine is shared).',
  ].join('\n');
}
