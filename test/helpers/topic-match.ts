import type { Pattern } from '../../src/access/topic-pattern.ts';

/**
 * The plain reading of MQTT topic matching [MQTT-4.7], one pattern at a time: the reference the gateway's
 * pattern tree (src/access/access-rules.ts) is tested against. A pattern starting with a wildcard does
 * not reach topics starting with "$".
 */
export function matchesTopic(pattern: Pattern, levels: readonly string[]): boolean {
  if ((levels[0]?.startsWith('$') ?? false) && (pattern[0] === '+' || pattern[0] === '#')) return false;
  for (let i = 0; i < pattern.length; i++) {
    const level = pattern[i];
    if (level === '#') return true;
    if (i >= levels.length) return false;
    if (level !== '+' && level !== levels[i]) return false;
  }
  return pattern.length === levels.length;
}

