/** Formatting for bench/store.ts. */

export type Verdict = 'PASS' | 'MISS' | 'FAIL' | '';

export interface ReportRow {
  label: string;
  value: string;
  target: string;
  verdict: Verdict;
}

/** Plain-text table: label left-aligned, value right-aligned, then target and verdict. */
export function formatReport(rows: readonly ReportRow[]): string {
  const headers = ['measurement', 'value', 'target / note', ''];
  const cells = rows.map((r) => [r.label, r.value, r.target, r.verdict]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const line = (c: readonly string[]): string =>
    c
      .map((s, i) => (i === 1 ? s.padStart(widths[i] ?? 0) : s.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...cells.map(line)].join('\n');
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

export function fmtNum(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

export function fmtPct(fraction: number): string {
  return Number.isFinite(fraction) ? `${Math.round(fraction * 100)}%` : 'n/a';
}

export function fmtMiB(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : 'n/a';
}

export function fmtMs(ms: number): string {
  return `${fmtInt(ms)} ms`;
}
