/**
 * What the fan-out orchestrator (main.ts) and its load-generator child (generator.ts) exchange: a FanoutConfig
 * as JSON in argv[2], then the shared stdout protocol (../shared/child-line.ts) with a FanoutResult.
 */
import { hasNumbers, parseChildLine, type ChildEvent } from '../shared/child-line.ts';

export interface FanoutConfig {
  port: number;
  /** Subscribers on `#`, each its own connection. */
  subscribers: number;
  qos: 0 | 1;
  /** Messages published in the measured part (each is delivered once to every subscriber). */
  messages: number;
  /** Messages published and delivered before reporting `ready`, not measured. */
  warmup: number;
  /** Topics the publisher cycles through, one per message: `<prefix>/t0` … */
  topics: number;
  payloadBytes: number;
  /** Most messages published but not yet received by the slowest subscriber. */
  window: number;
  timeoutMs: number;
  /** Give up waiting for lost messages after this long without a delivery. */
  idleMs: number;
  /** Below `bench/`; deliveries of other topics (the broker's own) are not counted. */
  topicPrefix: string;
}

export interface FanoutResult {
  published: number;
  /** Deliveries to all subscribers in the measured part. */
  delivered: number;
  /** First publish to last delivery. */
  elapsedMs: number;
  /** CPU time of the load generator in the measured part. */
  loadgenCpuMs: number;
}

export function parseFanoutEvent(line: string): ChildEvent<FanoutResult> | null {
  const parsed = parseChildLine(line);
  if (parsed === null || parsed.event !== 'result') return parsed;
  const r = parsed.result;
  if (!hasNumbers(r, ['published', 'delivered', 'elapsedMs', 'loadgenCpuMs'])) return null;
  return { event: 'result', result: r as unknown as FanoutResult };
}
