/**
 * What bench/store/main.ts and its load-generator child (store-loadgen.ts) say to
 * each other. The child gets one StoreLoadConfig as JSON in argv[2], connects,
 * prints `{"event":"ready"}`, waits for a `go` line on stdin, runs the measured
 * part, prints `{"event":"result","result":{...}}` and exits 0 (or prints
 * `{"event":"error","message":...}` and exits 1).
 */

import { hasNumbers, isRecord, parseChildLine, type ChildEvent } from '../shared/child-line.ts';

interface Common {
  host: string;
  port: number;
  /** Hard limit for the measured part, in ms. */
  timeoutMs: number;
}

/** QoS 1 publisher -> one persistent (clean=false) QoS 1 subscriber, both online. */
export interface ThroughputConfig extends Common {
  mode: 'throughput';
  /** Makes client ids and the topic unique per run. */
  tag: string;
  warmup: number;
  messages: number;
  /** Max messages published and not yet both acknowledged and received. */
  window: number;
  payloadBytes: number;
}

/** Publish `topics` retained messages on distinct topics, QoS 1, bounded window. */
export interface FillConfig extends Common {
  mode: 'fill';
  topics: number;
  tagsPerAsset: number;
  window: number;
}

/** A fresh clean client subscribes to `#` and waits for `expected` retained messages under `prefix`. */
export interface ReadConfig extends Common {
  mode: 'read';
  tag: string;
  expected: number;
  prefix: string;
  qos: 0 | 1;
  /** The subscriber: MQTT.js, or the lean one of raw-reader.ts. */
  reader: 'raw' | 'mqtt.js';
}

export type StoreLoadConfig = ThroughputConfig | FillConfig | ReadConfig;

export interface ThroughputResult {
  mode: 'throughput';
  sent: number;
  acked: number;
  /** Distinct messages received by the subscriber. */
  received: number;
  duplicates: number;
  /** First publish to last receipt. */
  elapsedMs: number;
  msgPerSec: number;
  timedOut: boolean;
  loadgenCpuMs: number;
}

export interface FillResult {
  mode: 'fill';
  sent: number;
  acked: number;
  elapsedMs: number;
  msgPerSec: number;
  timedOut: boolean;
  loadgenCpuMs: number;
}

export interface ReadResult {
  mode: 'read';
  /** Retained messages under `prefix` received. */
  received: number;
  /** Messages outside `prefix` (e.g. the gateway's own status), not counted. */
  other: number;
  /** Messages under `prefix` without the retain flag (should be 0). */
  notRetained: number;
  /** SUBSCRIBE sent -> SUBACK. */
  subackMs: number;
  /** SUBSCRIBE sent -> first retained message. */
  firstMs: number;
  /** SUBSCRIBE sent -> `expected`-th retained message (or the last one, if incomplete). */
  elapsedMs: number;
  complete: boolean;
  loadgenCpuMs: number;
}

export type StoreLoadResult = ThroughputResult | FillResult | ReadResult;

export type LoadEvent = ChildEvent<StoreLoadResult>;

const RESULT_FIELDS: Record<StoreLoadResult['mode'], readonly string[]> = {
  throughput: ['sent', 'acked', 'received', 'duplicates', 'elapsedMs', 'msgPerSec', 'loadgenCpuMs'],
  fill: ['sent', 'acked', 'elapsedMs', 'msgPerSec', 'loadgenCpuMs'],
  read: ['received', 'other', 'notRetained', 'subackMs', 'firstMs', 'elapsedMs', 'loadgenCpuMs'],
};

/** Parses one stdout line of the load generator; null for anything else. */
export function parseLoadEvent(line: string): LoadEvent | null {
  const parsed = parseChildLine(line);
  if (parsed === null || parsed.event !== 'result') return parsed;
  const r = parsed.result;
  const mode = r.mode;
  if (mode !== 'throughput' && mode !== 'fill' && mode !== 'read') return null;
  if (!hasNumbers(r, RESULT_FIELDS[mode])) return null;
  return { event: 'result', result: r as unknown as StoreLoadResult };
}

export function parseLoadConfig(arg: string | undefined): StoreLoadConfig {
  if (arg === undefined) throw new Error('usage: store-loadgen.ts <StoreLoadConfig JSON>');
  const v: unknown = JSON.parse(arg);
  if (!isRecord(v) || typeof v.host !== 'string' || !hasNumbers(v, ['port', 'timeoutMs'])) {
    throw new Error('bad load config');
  }
  if (v.mode === 'throughput' && hasNumbers(v, ['warmup', 'messages', 'window', 'payloadBytes'])) {
    return v as unknown as ThroughputConfig;
  }
  if (v.mode === 'fill' && hasNumbers(v, ['topics', 'tagsPerAsset', 'window'])) return v as unknown as FillConfig;
  if (v.mode === 'read' && hasNumbers(v, ['expected', 'qos']) && typeof v.prefix === 'string') {
    return v as unknown as ReadConfig;
  }
  throw new Error(`bad load config: ${arg}`);
}
