/** What one bench:opcua configuration measures. */
import { type MonotonicWindowUs } from '../shared/cpu-profile.ts';
import { type ThreadShare } from './proc.ts';
import type { LoadPattern, ServerCounts } from './protocol.ts';
import { MsHistogram, type PhaseTally } from './change-tally.ts';
import type { BaselineResult } from './baseline-phase.ts';
import type { Options } from './options.ts';

export interface PhaseResult {
  name: string;
  label: string;
  pattern: LoadPattern;
  windowS: number;
  /** Server snapshots at the window's start and end. */
  before: ServerCounts;
  after: ServerCounts;
  tally: PhaseTally;
  /** Age (receipt − source timestamp) of every good value received during the window, whatever its tick. */
  receiptLatency: MsHistogram;
  /** Value messages received (any tick) during the window. */
  messagesInWindow: number;
  /** After the load stopped, until the last change of the window arrived. */
  drainMs: number;
  gatewayCpuSeconds: number;
  gatewayThreads: ThreadShare[];
  serverCpuSeconds: number;
  benchCpuSeconds: number;
  hostBusySeconds: number;
  rssSamples: number[];
  monotonic: MonotonicWindowUs;
}

export interface Measurements {
  options: Options;
  samplingMs: number;
  gatewayPid: number;
  serverStartupMs: number;
  gatewayStartupMs: number;
  allValuesMs: number;
  phases: PhaseResult[];
  /** The bare client's measurement of each load, in the order of `phases`. */
  baselines: BaselineResult[];
  /** Bare client: connect → every item had a value, ms. */
  baselineStartupMs: number;
  /** Loads left out because they would have ended after the time budget. */
  skipped: string[];
  peakRssBytes: number;
  problems: string[];
  badMessages: number;
  malformed: number;
  stop: { code: number | null; signal: NodeJS.Signals | null; forced: boolean } | undefined;
  /** The gateway's last log lines after it stopped. */
  stopTail: string;
}

export function samplingLabel(samplingMs: number): string {
  return samplingMs === 0 ? 'exception-based (samplingIntervalMs 0)' : `samplingIntervalMs ${samplingMs}`;
}
