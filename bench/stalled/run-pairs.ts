import { fileURLToPath } from 'node:url';
import { runLoadChild } from '../shared/load-child.ts';
import type { BrokerHandle } from '../shared/broker-process.ts';
import { parsePairsEvent, type PairsConfig, type PairsResult } from './pairs-protocol.ts';

const GENERATOR = fileURLToPath(new URL('./pairs-generator.ts', import.meta.url));

export interface PairsPhase {
  result: PairsResult;
  /** Broker CPU seconds (utime+stime) during the measured part. */
  brokerCpuSec: number;
  /** Host-wide busy CPU seconds in the same interval (all processes), to spot outside load. */
  hostCpuSec: number;
}

export interface PhaseHooks {
  /** Runs once the load is warmed up and still running, before the measured part starts. */
  beforeGo?: () => Promise<void>;
  /** Runs as soon as the result arrives, before the load generator has disconnected. */
  atResult?: () => void;
}

/**
 * Run one measured phase of the pairs load against `broker` in a separate
 * load-generator process, and wait (bounded) for that process to exit so that
 * phases never overlap. `setupTimeoutMs` covers process start, connecting,
 * warm-up and `beforeGo`.
 */
export async function runPairs(broker: BrokerHandle, cfg: PairsConfig, setupTimeoutMs: number, hooks: PhaseHooks = {}): Promise<PairsPhase> {
  const { result, cpuSec, hostCpuSec } = await runLoadChild({
    entry: GENERATOR,
    config: cfg,
    parse: parsePairsEvent,
    pid: broker.pid,
    alive: () => broker.alive(),
    setupTimeoutMs,
    resultTimeoutMs: cfg.durationMs + 15_000,
    exitGraceMs: 5000,
    label: broker.name,
    beforeGo: hooks.beforeGo,
    atResult: () => {
      hooks.atResult?.();
      return undefined;
    },
  });
  return { result, brokerCpuSec: cpuSec, hostCpuSec };
}
