/**
 * Messages between bench/stalled/main.ts and its load-generator child
 * (bench/stalled/pairs-generator.ts). The orchestrator passes a PairsConfig as JSON
 * in argv[2]. The child connects, starts the load and prints `ready` after the
 * warm-up while the load keeps running; the orchestrator writes "go\n" when the
 * measured part should start; the child prints `result` (or `error`) after
 * `durationMs`. One JSON object per stdout line.
 */

import { parseChildLine, type ChildEvent } from '../shared/child-line.ts';

export interface PairsConfig {
  host: string;
  port: number;
  /** Publisher/subscriber client pairs, each on its own topic. */
  pairs: number;
  /** QoS 1 round trips in flight per pair. */
  window: number;
  payloadBytes: number;
  /** Load before `ready`, in ms. */
  warmupMs: number;
  /** Length of the measured part, in ms. */
  durationMs: number;
  /** Topic prefix; must be below `bench/`. */
  topicPrefix: string;
}

export interface PairsResult {
  /** Round trips completed (PUBACK and delivery) inside the measured part, all pairs. */
  completed: number;
  elapsedMs: number;
  msgPerSec: number;
  /** Round trips completed per whole second of the measured part. */
  perSecond: number[];
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Messages published but not delivered when the measured part ended; they enter the percentiles at their age then (a lower bound). */
  undeliveredAtEnd: number;
  loadgenCpuMs: number;
}

export type PairsEvent = ChildEvent<PairsResult>;

const NUMBER_FIELDS = ['completed', 'elapsedMs', 'msgPerSec', 'p50Ms', 'p99Ms', 'maxMs', 'undeliveredAtEnd', 'loadgenCpuMs'] as const;

/** Parse one stdout line of the child; null for anything else. NaN percentiles arrive as null and become NaN. */
export function parsePairsEvent(line: string): PairsEvent | null {
  const parsed = parseChildLine(line);
  if (parsed === null || parsed.event !== 'result') return parsed;
  const r = parsed.result;
  if (!Array.isArray(r.perSecond) || !r.perSecond.every((n) => typeof n === 'number')) return null;
  const num = (k: (typeof NUMBER_FIELDS)[number]): number => (typeof r[k] === 'number' ? r[k] : Number.NaN);
  return {
    event: 'result',
    result: {
      completed: num('completed'),
      elapsedMs: num('elapsedMs'),
      msgPerSec: num('msgPerSec'),
      perSecond: r.perSecond as number[],
      p50Ms: num('p50Ms'),
      p99Ms: num('p99Ms'),
      maxMs: num('maxMs'),
      undeliveredAtEnd: num('undeliveredAtEnd'),
      loadgenCpuMs: num('loadgenCpuMs'),
    },
  };
}
