import { median } from '../shared/stats.ts';
import { fmtInt, fmtNum, fmtPct, formatTable } from '../shared/table.ts';

/** One measured run of one cell (a broker, a QoS, a subscriber count). */
export interface CellRun {
  deliveredPerSec: number;
  cpuUsPerDelivery: number;
  /** Broker CPU time / wall time (1.0: one core). */
  brokerBusy: number;
  loadgenBusy: number;
  /** Cores used by everything else on the host. */
  otherBusy: number;
  lost: number;
}

export interface CellSummary {
  runs: number;
  deliveredPerSec: number;
  cpuUsPerDelivery: number;
  brokerBusy: number;
  loadgenBusy: number;
  otherBusyMax: number;
  lost: number;
}

export function summarizeCell(runs: readonly CellRun[]): CellSummary {
  return {
    runs: runs.length,
    deliveredPerSec: median(runs.map((r) => r.deliveredPerSec)),
    cpuUsPerDelivery: median(runs.map((r) => r.cpuUsPerDelivery)),
    brokerBusy: median(runs.map((r) => r.brokerBusy)),
    loadgenBusy: median(runs.map((r) => r.loadgenBusy)),
    otherBusyMax: Math.max(...runs.map((r) => r.otherBusy)),
    lost: runs.reduce((sum, r) => sum + r.lost, 0),
  };
}

export interface Row {
  qos: number;
  width: number;
  gateway: CellSummary | undefined;
  mosquitto: CellSummary | undefined;
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || !(b > 0) ? 'n/a' : `${(a / b).toFixed(2)}×`;
}

export function fanoutTable(rows: readonly Row[]): string {
  const headers = ['QoS', 'subs', 'gw deliv/s', 'mq deliv/s', 'gw/mq', 'gw µs/deliv', 'mq µs/deliv', 'gw/mq', 'gw busy', 'mq busy', 'loadgen busy gw/mq', 'runs'];
  const cells = rows.map((r) => {
    const g = r.gateway;
    const m = r.mosquitto;
    return [
      String(r.qos),
      String(r.width),
      g ? fmtInt(g.deliveredPerSec) : 'n/a',
      m ? fmtInt(m.deliveredPerSec) : 'n/a',
      ratio(g?.deliveredPerSec, m?.deliveredPerSec),
      g ? fmtNum(g.cpuUsPerDelivery, 2) : 'n/a',
      m ? fmtNum(m.cpuUsPerDelivery, 2) : 'n/a',
      ratio(g?.cpuUsPerDelivery, m?.cpuUsPerDelivery),
      g ? fmtPct(g.brokerBusy) : 'n/a',
      m ? fmtPct(m.brokerBusy) : 'n/a',
      `${g ? fmtPct(g.loadgenBusy) : 'n/a'}/${m ? fmtPct(m.loadgenBusy) : 'n/a'}`,
      `${g?.runs ?? 0}/${m?.runs ?? 0}`,
    ];
  });
  return formatTable(headers, cells, () => true);
}
