/**
 * The contract between the gateway and its connectors. Connectors know devices, addresses and tag
 * ids, never topics. This file imports nothing from src/.
 */
import type { DeviceConfig } from '../schemas/mapping.ts';
import type { Quality } from '../schemas/payload.ts';
import type { WireError } from '../shared/errors.ts';
import type { SampleBatch } from './sample-batch.ts';

export type { Quality };

/** How the gateway and its connectors name a tag: `<device>/<tag name>`. */
export function tagId(device: string, tagName: string): string {
  return `${device}/${tagName}`;
}

/** The device of a tag id (a device name holds no "/"). */
export function deviceOfTagId(id: string): string {
  return id.slice(0, id.indexOf('/'));
}
export type ScalarValue = number | bigint | boolean | string | null;
/** A scalar, an array, or (for an OPC UA matrix) arrays nested one level per dimension. */
export type SampleValue = ScalarValue | SampleValue[];

/** Whether two values are equal, arrays element by element at every level. */
export function sameValue(a: SampleValue, b: SampleValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => sameValue(item, b[index] ?? null));
  return a === b;
}

/** One reading of one tag. A failed read is a sample too: quality bad, with a status code. */
export interface Sample {
  tagId: string;
  value: SampleValue;
  quality: Quality;
  status?: string;
  /** Epoch ms: source time when the device gives one, else read time. */
  timestamp: number;
  /** Engineering unit the device reports, for tags mapped without one. */
  unit?: string;
}

export interface WriteRequest {
  requestId: number;
  tagId: string;
  /** In engineering units, already checked against the tag's type and min/max. */
  value: number | bigint | boolean | string;
}

export type WriteResult =
  | { requestId: number; ok: true; value: SampleValue; timestamp: number }
  | { requestId: number; ok: false; error: WireError };

export type DeviceState = 'connecting' | 'connected' | 'error';

export interface DeviceStatusReport {
  device: string;
  state: DeviceState;
  error?: WireError;
  timestamp: number;
}

/** Upper bounds, in ms, of the read latency buckets in DeviceStats. */
export const READ_LATENCY_BUCKETS_MS: readonly number[] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/**
 * A device's reads since its previous report, for the gateway's metrics: counts, not samples. A connector
 * sends them at most once a second, those of all its devices together, and none for a device where
 * nothing happened.
 */
export interface DeviceStats {
  device: string;
  /** Read requests answered (Modbus), or value changes received (OPC UA). */
  reads: number;
  /** Failed reads and failed connection attempts, by error code. */
  errors: Record<string, number>;
  /** Reads timed, per bucket of READ_LATENCY_BUCKETS_MS; the last bucket counts those above every bound. */
  latencyBuckets: number[];
  /** Sum of the timed reads' latencies, ms. */
  latencySumMs: number;
  /** Epoch ms of the latest successful read in this period, when there was one. */
  lastSuccess?: number;
}

export interface ConnectorContext {
  /** Samples of one scan. They reach the gateway in batches, one at a time (see SampleOutbox). */
  emit(samples: Sample[]): void;
  status(report: DeviceStatusReport): void;
  /** Counts of reads and errors, for the metrics (see ReadStats, which sends them at most once a second). */
  stats(reports: DeviceStats[]): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>): void;
}

export interface Connector {
  start(context: ConnectorContext): Promise<void>;
  /** Writes a value and reads it back; rejects with a ConnectorError. */
  write(request: WriteRequest): Promise<{ value: SampleValue; timestamp: number }>;
  stop(): Promise<void>;
}

/** What a worker is started with: validated device configs of one protocol, sharing the worker. */
export interface WorkerSetup {
  protocol: DeviceConfig['protocol'];
  devices: DeviceConfig[];
}

export type WorkerToHost =
  /** `shed`: intermediate samples the worker replaced by newer ones while the main thread was behind. */
  | { type: 'samples'; batch: SampleBatch; shed: number }
  | { type: 'status'; report: DeviceStatusReport }
  | { type: 'stats'; reports: DeviceStats[] }
  | { type: 'write-result'; result: WriteResult }
  | { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; message: string; data?: Record<string, unknown> }
  | { type: 'stopped' };

/** `taken`: the main thread has taken the last batch of samples, and the worker may send the next. */
export type HostToWorker =
  | { type: 'write'; request: WriteRequest }
  | { type: 'taken' }
  | { type: 'stop' }
  /** A reload: the worker's devices from now on; only connections whose settings changed restart. */
  | { type: 'configure'; devices: DeviceConfig[] };
