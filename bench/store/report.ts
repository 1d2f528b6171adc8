/** Formatting for bench/store/main.ts. */
import { fmtInt, fmtNum, fmtPct, formatTable } from '../shared/table.ts';

export type Verdict = 'PASS' | 'MISS' | 'FAIL' | '';

export interface ReportRow {
  label: string;
  value: string;
  target: string;
  verdict: Verdict;
}

/** Plain-text table: label left-aligned, value right-aligned, then target and verdict. */
export function formatReport(rows: readonly ReportRow[]): string {
  const cells = rows.map((r) => [r.label, r.value, r.target, r.verdict]);
  return formatTable(['measurement', 'value', 'target / note', ''], cells, (column) => column === 1);
}

export { fmtInt, fmtNum, fmtPct };

export function fmtMiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : 'n/a';
}

export function fmtMs(ms: number): string {
  return `${fmtInt(ms)} ms`;
}
