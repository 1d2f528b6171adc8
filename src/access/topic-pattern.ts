/**
 * Topic patterns of access rules: MQTT topic filters (`+` one level, `#` the rest), compared with topic
 * names and with the filters clients subscribe to. As in MQTT matching [MQTT-4.7.2-1], a pattern whose
 * first level is a wildcard does not reach topics starting with `$`: `#` is not `$SYS/#`.
 */

const PLUS = '+';
const HASH = '#';

/** A pattern split into levels, once. */
export type Pattern = readonly string[];

export function parsePattern(pattern: string): Pattern {
  return pattern.split('/');
}

const isWildcard = (level: string | undefined): boolean => level === PLUS || level === HASH;
const isDollar = (level: string | undefined): boolean => level !== undefined && level.charCodeAt(0) === 0x24;

/** Whether every topic that `filter` matches is matched by `pattern`. */
export function covers(pattern: Pattern, filter: Pattern): boolean {
  if (isDollar(filter[0]) && isWildcard(pattern[0])) return false;
  for (let i = 0; i < pattern.length; i++) {
    const level = pattern[i];
    if (level === HASH) return true;
    const other = filter[i];
    if (other === undefined || other === HASH) return false;
    if (level === PLUS) continue;
    if (other === PLUS || other !== level) return false;
  }
  return pattern.length === filter.length;
}

/** Whether some topic is matched by both `pattern` and `filter`. */
export function intersects(pattern: Pattern, filter: Pattern): boolean {
  if ((isDollar(filter[0]) && isWildcard(pattern[0])) || (isDollar(pattern[0]) && isWildcard(filter[0]))) return false;
  const length = Math.max(pattern.length, filter.length);
  for (let i = 0; i < length; i++) {
    const a = pattern[i];
    const b = filter[i];
    if (a === HASH || b === HASH) return true;
    if (a === undefined || b === undefined) return false;
    if (a !== PLUS && b !== PLUS && a !== b) return false;
  }
  return true;
}
