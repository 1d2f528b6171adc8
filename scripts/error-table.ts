import { errorCatalogue } from '../shared/errors.ts';

export const TABLE_START = '<!-- error-codes:start (generated from shared/errors.ts by `npm run errors`: edit the catalogue, not this table) -->';
export const TABLE_END = '<!-- error-codes:end -->';

/** The README's table of error codes: one row per catalogue entry, a family with its suffix. */
export function renderErrorTable(): string {
  const rows = Object.values(errorCatalogue).map((entry) => {
    const code = 'suffix' in entry ? `${entry.code}_${entry.suffix}` : entry.code;
    return `| \`${code}\` | ${entry.meaning} |`;
  });
  return ['| Code | Meaning |', '| --- | --- |', ...rows].join('\n');
}

/** The README with the current table between its markers. */
export function withErrorTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md needs the markers ${TABLE_START} and ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_START.length)}\n${renderErrorTable()}\n${readme.slice(end)}`;
}
