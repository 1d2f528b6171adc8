/** The summary table of bench:bridge: one row per figure, with its target and verdict when it has one. */
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';

export interface Row {
  label: string;
  value: string;
  target: string;
  verdict: string;
}

export function row(label: string, value: string, target = '', verdict = ''): Row {
  return { label, value, target, verdict };
}

/** A row measured against a target: `ok` decides PASS/MISS, NaN values FAIL. */
export function targetRow(label: string, value: number, text: string, target: string, ok: (v: number) => boolean): Row {
  return row(label, text, target, Number.isFinite(value) ? (ok(value) ? 'PASS' : 'MISS') : 'FAIL');
}

export function formatRows(rows: readonly Row[]): string {
  return formatTable(
    ['figure', 'value', 'target', ''],
    rows.map((r) => [r.label, r.value, r.target, r.verdict]),
  );
}

export const perS = (n: number): string => `${fmtInt(n)} msg/s`;
export const mib = (bytes: number): string => `${fmtNum(bytes / 1024 / 1024, 1)} MiB`;
export const ms = (n: number): string => (n >= 10_000 ? `${fmtNum(n / 1000, 1)} s` : `${fmtInt(n)} ms`);
export const msFine = (n: number): string => `${fmtNum(n, n < 10 ? 2 : 1)} ms`;
export const rate = (count: number, millis: number): number => (millis > 0 ? (count * 1000) / millis : Number.NaN);
