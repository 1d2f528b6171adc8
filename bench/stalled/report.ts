import type { PairsPhase } from './run-pairs.ts';
import type { SettleResult, StalledStatus } from './subscriber-client.ts';
import { fmtInt, fmtNum, fmtPct, formatTable } from '../shared/table.ts';

/** Other clients' QoS 1 throughput with a stalled subscriber / without, higher is better. */
export const TARGET_STALLED_RATIO = 0.8;
/** Cores used by other processes during a measured part before its figures are flagged. */
export const NOISE_LIMIT = 0.2;

export type PhaseKind = 'baseline' | 'stalled' | 'stalled-persistent';

export interface PhaseRecord {
  kind: PhaseKind;
  phase: PairsPhase;
  /** When the stalled subscriber's connection had filled up, before the measured part (null in the baseline). */
  settle: SettleResult | null;
  /** The stalled subscriber as last seen (null in the baseline). */
  stalled: StalledStatus | null;
  /** Broker RSS at the end of the measured part. */
  rssBytes: number;
}

export interface BrokerRecord {
  broker: string;
  phases: PhaseRecord[];
}

const MB = 1024 * 1024;

const LABELS: Record<PhaseKind, string> = {
  baseline: 'baseline',
  stalled: 'stalled #, clean session',
  'stalled-persistent': 'stalled #, persistent session',
};

function kilo(n: number): string {
  return n >= 1000 ? `${fmtNum(n / 1000, 1)}k` : String(n);
}

function seconds(ms: number): string {
  return `${fmtNum(ms / 1000, 1)} s`;
}

function stalledText(p: PhaseRecord): string {
  const s = p.stalled;
  if (s === null) return '-';
  const settle = p.settle === null ? '' : `${p.settle.settled ? 'stopped receiving' : 'still receiving'} at ${seconds(p.settle.afterMs)}, `;
  if (s.disconnectedAfterMs !== null) return `${settle}dropped at ${seconds(s.disconnectedAfterMs)}`;
  const queued = s.brokerEnd ? ` (${fmtNum((s.brokerEnd.sendQueue + (s.clientEnd?.recvQueue ?? 0)) / 1024, 0)} KiB queued)` : '';
  return `${settle}connected at end${queued}`;
}

/** Cores used by processes other than the broker and the load generator during the measured part. */
export function otherBusy(p: PhaseRecord): number {
  const r = p.phase.result;
  // Clamped at 0: tick rounding can make the difference slightly negative.
  return Math.max(0, (p.phase.hostCpuSec - p.phase.brokerCpuSec - r.loadgenCpuMs / 1000) / (r.elapsedMs / 1000));
}

function baselineOf(rec: BrokerRecord): PhaseRecord | undefined {
  return rec.phases.find((p) => p.kind === 'baseline');
}

/** Stalled throughput / baseline throughput; NaN without a baseline. */
export function ratio(rec: BrokerRecord, p: PhaseRecord): number {
  const base = baselineOf(rec);
  return base ? p.phase.result.msgPerSec / base.phase.result.msgPerSec : Number.NaN;
}

/** One progress line per measured phase, with the throughput of each second. */
export function phaseLine(broker: string, p: PhaseRecord): string {
  const r = p.phase.result;
  return (
    `  ${broker.padEnd(9)} ${LABELS[p.kind].padEnd(29)} ${fmtInt(r.msgPerSec)} msg/s, p99 ${fmtNum(r.p99Ms, 1)} ms` +
    ` | per second: ${r.perSecond.map(kilo).join(' ')}` +
    (p.stalled ? ` | stalled subscriber: ${stalledText(p)}` : '')
  );
}

export function resultTable(records: readonly BrokerRecord[]): string {
  const rows = records.flatMap((rec) =>
    rec.phases.map((p) => {
      const r = p.phase.result;
      return [
        rec.broker,
        LABELS[p.kind],
        fmtInt(r.msgPerSec),
        p.kind === 'baseline' ? '-' : `${fmtNum(ratio(rec, p), 2)}x`,
        fmtNum(r.p50Ms, 2),
        fmtNum(r.p99Ms, 2),
        fmtNum(r.maxMs, 1),
        fmtInt(r.undeliveredAtEnd),
        fmtPct(p.phase.brokerCpuSec / (r.elapsedMs / 1000)),
        fmtPct(otherBusy(p)),
        fmtNum(p.rssBytes / MB, 1),
        stalledText(p),
      ];
    }),
  );
  return formatTable(
    ['broker', 'phase', 'msg/s', 'vs baseline', 'p50 ms', 'p99 ms', 'max ms', 'undelivered', 'broker CPU', 'other CPU', 'RSS MB', 'stalled subscriber'],
    rows,
    (column) => column > 1 && column < 11,
  );
}

function gatewayVerdict(rec: BrokerRecord, p: PhaseRecord, x: number): string {
  if (p.settle !== null && !p.settle.settled) {
    return 'INCONCLUSIVE: the stalled connection was still filling up when measuring started (raise --settle-sec)';
  }
  const disturbed = [baselineOf(rec), p].some((q) => q !== undefined && otherBusy(q) > NOISE_LIMIT);
  const flag = disturbed ? '   (unreliable: host busy with other work)' : '';
  return `target >= ${TARGET_STALLED_RATIO}x   ${x >= TARGET_STALLED_RATIO ? 'PASS' : 'MISS'}${flag}`;
}

/** PASS/MISS lines for the gateway, and the same ratios for the other brokers as information. */
export function verdictLines(records: readonly BrokerRecord[]): string[] {
  const lines: string[] = [];
  for (const rec of records) {
    for (const p of rec.phases) {
      if (p.kind === 'baseline') continue;
      const x = ratio(rec, p);
      const verdict = rec.broker === 'gateway' ? gatewayVerdict(rec, p, x) : '(reference)';
      lines.push(`  ${rec.broker.padEnd(9)} ${LABELS[p.kind].padEnd(29)} ${fmtNum(x, 2)}x of baseline   ${verdict}`);
    }
  }
  return lines;
}
