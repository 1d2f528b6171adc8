import { fileURLToPath } from 'node:url';
import { runLoadChild } from '../shared/load-child.ts';
import type { BrokerHandle } from '../shared/broker-process.ts';
import { parseGeneratorEvent, type LoadConfig, type PhaseResult } from './protocol.ts';

const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

export interface PhaseMeasurement {
  result: PhaseResult;
  /** Broker CPU seconds (utime+stime) consumed during the measured part only. */
  brokerCpuSec: number;
  /** Messages the broker handled in that time (received by the subscriber). */
  messages: number;
  /** Host-wide busy CPU seconds in the same interval (all processes), to spot outside load. */
  hostCpuSec: number;
}

/**
 * Run one load phase against `broker` in a separate load-generator process.
 * Broker CPU is sampled from /proc after the child reports `ready` and after
 * it reports its result, so connecting and warm-up are not counted.
 * `setupTimeoutMs` covers process start, connecting and warm-up;
 * `cfg.timeoutMs` (+ a margin) covers the measured part.
 */
export async function runPhase(broker: BrokerHandle, cfg: LoadConfig, setupTimeoutMs: number): Promise<PhaseMeasurement> {
  const { result: r, cpuSec, hostCpuSec } = await runLoadChild({
    entry: GENERATOR,
    config: cfg,
    parse: parseGeneratorEvent,
    pid: broker.pid,
    setupTimeoutMs,
    resultTimeoutMs: cfg.timeoutMs + 5000,
    exitGraceMs: 5000,
    label: `${broker.name} ${cfg.phase}`,
  });
  return { result: r, brokerCpuSec: cpuSec, hostCpuSec, messages: r.phase === 'fanin' ? r.received : r.samples };
}
