/**
 * IPC messages between the OPC UA benchmark (bench/opcua/main.ts) and its server child process
 * (bench/opcua/server-process.ts). Plain JSON: the default IPC serialization.
 */

export interface ServerSetup {
  /** Double variables ns=1;s=Bench.v0 … v<items-1>. */
  items: number;
  /** Folder for the server's own PKI (created, and deleted by the benchmark). */
  pkiDir: string;
  /** MinimumSamplingInterval of every variable. */
  minimumSamplingIntervalMs: number;
  /** The fastest publishing interval the server grants (node-opcua's own floor is 50 ms). */
  minimumPublishingIntervalMs: number;
  maxMonitoredItemsPerCall: number;
}

/**
 * A change pattern: every `tickMs` the server sets the variables i with i % every === tick % every,
 * so `every` 1 changes all of them each tick and `every` 10 a rotating tenth (each variable once
 * every 10 ticks). The value written is the tick number, unique per variable and increasing.
 */
export interface LoadPattern {
  tickMs: number;
  every: number;
}

/** Cumulative counters plus tick timing since the previous snapshot. */
export interface ServerCounts {
  /** Date.now() in the server when the snapshot was taken (between two ticks). */
  at: number;
  /** Ticks run so far; the last tick's number (ticks are numbered from 1). */
  ticks: number;
  /** Variable changes (setValueFromSource calls) so far. */
  changes: number;
  /** Data change notifications sent to clients in publish responses, so far (subscription diagnostics). */
  notificationsSent: number;
  /** Values a monitored item's queue discarded for a newer one, so far (subscription diagnostics). */
  queueOverflows: number;
  /** Tick slots skipped because the previous tick ended too late, so far. */
  skippedSlots: number;
  /** Since the previous snapshot: busy time of the longest tick and the mean, ms. */
  maxTickMs: number;
  meanTickMs: number;
  /** Since the previous snapshot: event-loop delay of the server process, p99 and max, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

export type ParentToServer =
  | { type: 'setup'; setup: ServerSetup }
  | { type: 'load'; pattern: LoadPattern | null }
  | { type: 'counts'; requestId: number }
  /** Only the monitored items of the sessions of this client application report; every other one is disabled. */
  | { type: 'reporting'; application: string }
  | { type: 'stop' };

export type ServerToParent =
  | { type: 'ready'; endpoint: string; port: number; startupMs: number }
  | { type: 'counts'; requestId: number; counts: ServerCounts }
  | { type: 'error'; message: string };
