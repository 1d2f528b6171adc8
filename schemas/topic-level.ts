import { z } from 'zod';

/** Suffix of the topic a client publishes a setpoint to: `<tag topic>/set`. */
export const SET_SUFFIX = '/set';
/** Suffix of the topic the gateway answers a setpoint on: `<tag topic>/set/result`. */
export const SET_RESULT_SUFFIX = '/set/result';

/** The longest topic level we accept, in characters. */
const MAX_LEVEL_LENGTH = 64;

/** Level names a mapping may not use: `set` carries write commands, `_…` is the gateway's own. */
function reservedLevelReason(level: string): string | undefined {
  if (level === 'set') return 'level "set" is reserved for write commands';
  if (level.startsWith('_')) return `level "${level}" starts with "_", which is reserved for the gateway`;
  return undefined;
}

/** Why `level` cannot be one MQTT topic level of the namespace, or undefined when it can. */
export function topicLevelProblem(level: string): string | undefined {
  if (level.length === 0) return 'empty topic level';
  if (level.length > MAX_LEVEL_LENGTH) return `topic level "${level.slice(0, 16)}…" is longer than ${MAX_LEVEL_LENGTH} characters`;
  if (level.includes('+')) return `topic level "${level}" holds the wildcard "+"`;
  if (level.includes('#')) return `topic level "${level}" holds the wildcard "#"`;
  if (level.includes('/')) return `topic level "${level}" holds "/"`;
  if (level.includes('\u0000')) return `topic level holds a NUL character`;
  if (level.startsWith('$')) return `topic level "${level}" starts with "$"`;
  return reservedLevelReason(level);
}

/** Why a `/`-separated path of levels is unusable, or undefined. */
export function topicPathProblem(path: string): string | undefined {
  for (const level of path.split('/')) {
    const problem = topicLevelProblem(level);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

// The same rules as a pattern, so that editors check them from the generated JSON Schema.
const levelPattern = '(?!set(?:/|$))[^$_+#/\\u0000][^+#/\\u0000]{0,63}';

/** One topic level: a site, an area, an asset, a device or gateway id. */
export const topicLevel = z
  .string()
  .superRefine((value, ctx) => {
    const problem = topicLevelProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ pattern: `^${levelPattern}$` });

/** One or more levels joined by `/`: a tag name with sub-levels, or the namespace root. */
export const topicPath = z
  .string()
  .superRefine((value, ctx) => {
    const problem = topicPathProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ pattern: `^${levelPattern}(?:/${levelPattern})*$` });
