/** The gateway against the bare node-opcua client: CPU per value, their ratio, the capacity it implies. */
import { availableParallelism } from 'node:os';
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';
import type { BaselineResult } from './baseline-phase.ts';
import type { Measurements, PhaseResult } from './measurements.ts';
import { TARGET_CAPACITY_PER_CORE, TARGET_COST_RATIO, TARGET_P99_MS } from './options.ts';
import { figures, ms, verdict } from './report.ts';

export interface Cost {
  /** CPU µs (every thread) per value: the gateway's per value delivered to the subscriber, the bare client's per value received. */
  gatewayUs: number;
  baselineUs: number;
  ratio: number;
  /** Values/s one full core would carry at the gateway's cost per value. */
  capacity: number;
  ratioOk: boolean;
  capacityOk: boolean;
}

export function cost(p: PhaseResult, b: BaselineResult): Cost {
  const gatewayUs = (p.gatewayCpuSeconds * 1e6) / p.messagesInWindow;
  const baselineUs = (b.cpuSeconds * 1e6) / b.valuesInWindow;
  const ratio = gatewayUs / baselineUs;
  const capacity = 1e6 / gatewayUs;
  return { gatewayUs, baselineUs, ratio, capacity, ratioOk: ratio <= TARGET_COST_RATIO, capacityOk: capacity >= TARGET_CAPACITY_PER_CORE };
}

/** One line for the summary. */
export function costLine(p: PhaseResult, b: BaselineResult): string {
  const c = cost(p, b);
  return (
    `CPU per value: gateway ${fmtNum(c.gatewayUs, 1)} µs, bare client ${fmtNum(c.baselineUs, 1)} µs, ratio ${fmtNum(c.ratio, 2)}× ${verdict(c.ratioOk)}; ` +
    `implied capacity ${fmtInt(c.capacity)} values/s per core ${verdict(c.capacityOk)}`
  );
}

export function baselineReport(m: Measurements): string {
  const cores = availableParallelism();
  const pairs = m.phases.flatMap((p) => {
    const b = m.baselines.find((r) => r.name === p.name);
    return b === undefined ? [] : [{ p, b, x: figures(p, m.options.items), c: cost(p, b) }];
  });
  if (pairs.length === 0) return 'Bare-client baseline: no load was measured.';
  type Pair = (typeof pairs)[number];
  const col = (fn: (pair: Pair) => string): string[] => pairs.map(fn);
  const both = (bare: string, gateway: string): string => `${bare} / ${gateway}`;
  const delivered = (b: BaselineResult): number => (b.changes > 0 ? b.tally.delivered / b.changes : Number.NaN);
  const rows: string[][] = [
    ['Changes made by the server /s', '', ...col(({ b, x }) => both(fmtInt(b.changesPerS), fmtInt(x.changesPerS)))],
    ['Values received /s', '', ...col(({ p, b }) => both(fmtInt(b.valuesInWindow / b.windowS), fmtInt(p.messagesInWindow / p.windowS)))],
    ['Changes delivered (distinct)', 'all', ...col(({ b, x }) => both(`${fmtNum(delivered(b) * 100, 2)} %`, `${fmtNum(x.deliveredRatio * 100, 2)} %`))],
    ['Source timestamp → receipt p50', '', ...col(({ b, x }) => both(ms(b.tally.latency.p50), ms(x.p50)))],
    ['Source timestamp → receipt p99', `< ${TARGET_P99_MS} ms`, ...col(({ b, x }) => both(ms(b.tally.latency.p99), ms(x.p99)))],
    ['CPU, % of one core (process, every thread)', '', ...col(({ p, b }) => both(fmtNum((b.cpuSeconds / b.windowS) * 100, 1), fmtNum((p.gatewayCpuSeconds / p.windowS) * 100, 1)))],
    ['CPU per value, µs', '', ...col(({ c }) => both(fmtNum(c.baselineUs, 1), fmtNum(c.gatewayUs, 1)))],
    ['Gateway ÷ bare client, CPU per value', `≤ ${TARGET_COST_RATIO}×`, ...col(({ c }) => `${fmtNum(c.ratio, 2)}× ${verdict(c.ratioOk)}`)],
    ['Implied capacity, values/s at one core (bare / gateway)', `≥ ${fmtInt(TARGET_CAPACITY_PER_CORE)}`, ...col(({ c }) => `${both(fmtInt(1e6 / c.baselineUs), fmtInt(c.capacity))} ${verdict(c.capacityOk)}`)],
    ['OPC UA server process CPU', '', ...col(({ p, b }) => both(`${fmtNum((b.serverCpuSeconds / b.windowS) * 100, 0)} %`, `${fmtNum((p.serverCpuSeconds / p.windowS) * 100, 0)} %`))],
    [`Host busy, % of ${cores} cores`, '', ...col(({ p, b }) => both(fmtNum((b.hostBusySeconds / b.windowS / cores) * 100, 0), fmtNum((p.hostBusySeconds / p.windowS / cores) * 100, 0)))],
    ['Drain: load stop → last change of the window', '', ...col(({ p, b }) => both(`${fmtInt(b.drainMs)} ms`, `${fmtInt(p.drainMs)} ms`))],
  ];
  const headers = ['bare client / gateway', 'target', ...pairs.map(({ p }) => `${p.name}: ${p.label}`)];
  return [
    `Bare-client baseline: a node-opcua client (child process, ready ${fmtNum(m.baselineStartupMs / 1000, 1)} s after it connected) with the connector's subscription and`,
    'monitoring parameters (connectors/opcua/subscription-settings.ts), counting the changes and nothing else; for each load, measured just before the gateway',
    'against the same server, which reports to one of them at a time (the other\'s monitored items disabled). Cells: bare client / gateway.',
    '',
    formatTable(headers, rows),
    '',
    'CPU per value = process CPU (utime+stime, every thread) in the window ÷ values received in the window: by the bare client, and by the MQTT',
    'subscriber from the gateway (so it includes the gateway\'s broker and store). Implied capacity = 1e6 ÷ the gateway\'s µs per value.',
  ].join('\n');
}
