/**
 * Messages exchanged between the orchestrator (bench/broker/main.ts) and the
 * load-generator child (bench/broker/load-generator.ts).
 *
 * The orchestrator passes a LoadConfig as JSON in argv[2]. The child prints
 * one JSON object per line on stdout: `ready` once clients are connected and
 * warmed up, then `result` (or `error`). The orchestrator writes "go\n" on the
 * child's stdin between the two, so it can sample broker CPU time exactly
 * around the measured part.
 */

import { hasNumbers, parseChildLine, type ChildEvent } from '../shared/child-line.ts';
import type { Credentials } from '../shared/mqtt-clients.ts';

export type PhaseName = 'fanin' | 'rtt';

export interface LoadConfig {
  phase: PhaseName;
  host: string;
  port: number;
  /** Messages in the measured part of the phase. */
  messages: number;
  /** Messages sent (and not measured) before reporting `ready`. */
  warmup: number;
  /** fanin: number of publisher clients. rtt: ignored. */
  publishers: number;
  /** fanin: topics each publisher cycles through, one per message (1: always the same). rtt: ignored. */
  topicsPerPublisher: number;
  payloadBytes: number;
  /** fanin: max messages published but not yet received. rtt: max outstanding round trips. */
  window: number;
  /** Hard limit for the measured part, in ms. */
  timeoutMs: number;
  /** fanin: stop waiting after this long without receiving anything (QoS 0 loss). */
  idleMs: number;
  /** Topic prefix; must be below `bench/`. */
  topicPrefix: string;
  /** What every client logs in with; absent: anonymous. */
  credentials?: Credentials;
}

export interface FaninResult {
  phase: 'fanin';
  sent: number;
  received: number;
  elapsedMs: number;
  msgPerSec: number;
  /** CPU time used by the load generator itself during the measured part. */
  loadgenCpuMs: number;
}

export interface RttResult {
  phase: 'rtt';
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  elapsedMs: number;
  loadgenCpuMs: number;
}

export type PhaseResult = FaninResult | RttResult;

export type GeneratorEvent = ChildEvent<PhaseResult>;

/** Parse one stdout line of the child; returns null for anything else. */
export function parseGeneratorEvent(line: string): GeneratorEvent | null {
  const parsed = parseChildLine(line);
  if (parsed === null || parsed.event !== 'result') return parsed;
  const r = parsed.result;
  if (r.phase === 'fanin' && hasNumbers(r, ['sent', 'received', 'elapsedMs', 'msgPerSec', 'loadgenCpuMs'])) {
    return { event: 'result', result: r as unknown as FaninResult };
  }
  if (r.phase === 'rtt' && hasNumbers(r, ['samples', 'p50Ms', 'p99Ms', 'maxMs', 'elapsedMs', 'loadgenCpuMs'])) {
    return { event: 'result', result: r as unknown as RttResult };
  }
  return null;
}
