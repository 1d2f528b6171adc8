/**
 * IPC messages between bench:opcua (bench/opcua/main.ts) and its bare-client child process
 * (bench/opcua/baseline-process.ts). Plain JSON: the default IPC serialization.
 */

/** The client application name the bare client's session carries (the gateway's is uns-gateway). */
export const BASELINE_APPLICATION = 'bench-bare-client';
/** The gateway's OPC UA client application name (connectors/opcua/session.ts). */
export const GATEWAY_APPLICATION = 'uns-gateway';

export interface BaselineSetup {
  endpoint: string;
  /** Items ns=1;s=Bench.v0 … v<items-1>. */
  items: number;
  /** Folder for the client's own PKI (created, and deleted by the benchmark). */
  pkiDir: string;
  publishingIntervalMs: number;
  samplingIntervalMs: number;
  queueSize: number;
  maxItemsPerCall: number;
}

/** The current phase's tally, as ChangeTracker counts it in the child. */
export interface TallySummary {
  delivered: number;
  duplicates: number;
  outOfOrder: number;
  /** Date.now() of the last delivery counted. */
  lastDelivery: number;
  latency: { count: number; negative: number; p50: number; p99: number; mean: number; max: number };
}

export interface BaselineCounts {
  /** Data change notifications received so far (any tick, any status). */
  values: number;
  /** Items that have had a good value. */
  goodItems: number;
  /** Date.now() of the last notification. */
  lastValueAt: number;
  /** The phase opened last, if any. */
  tally: TallySummary | undefined;
}

export type ParentToBaseline =
  | { type: 'setup'; setup: BaselineSetup }
  /** Opens a phase: the changes of ticks ≥ fromTick are counted. */
  | { type: 'open'; fromTick: number }
  /** The window's last tick. */
  | { type: 'window-end'; toTick: number }
  /** The phase's drain is over: later arrivals are not counted. */
  | { type: 'close' }
  | { type: 'counts'; requestId: number }
  | { type: 'stop' };

export type BaselineToParent =
  | { type: 'ready'; startupMs: number }
  | { type: 'counts'; requestId: number; counts: BaselineCounts }
  | { type: 'error'; message: string };
