import protobuf from 'protobufjs';
import { SPARKPLUG_B_PROTO } from '../../schemas/sparkplug-b-proto.ts';

const PAYLOAD = protobuf.parse(SPARKPLUG_B_PROTO, { keepCase: false }).root.lookupType('sparkplug.Payload');

export interface PropertySet {
  keys: string[];
  values: Array<Record<string, unknown>>;
}

/** A metric as the encoder takes it: 64-bit integers (alias, timestamp, long_value) as decimal strings or numbers. */
export interface MetricInput {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  isHistorical?: boolean;
  isNull?: boolean;
  properties?: PropertySet;
  [value: string]: unknown;
}

export interface PayloadInput {
  timestamp: number;
  seq?: number;
  metrics: MetricInput[];
}

/** Encodes a Sparkplug B payload (protobufjs, from the schema in schemas/sparkplug-b-proto.ts). */
export function encodePayload(payload: PayloadInput): Buffer {
  return Buffer.from(PAYLOAD.encode(PAYLOAD.fromObject(payload)).finish());
}

/** Decodes a payload the gateway receives (NCMD, DCMD): metrics with 64-bit integers as decimal strings. */
export function decodePayload(bytes: Buffer): { metrics: Array<Record<string, unknown>> } {
  const message = PAYLOAD.decode(bytes);
  return PAYLOAD.toObject(message, { longs: String, defaults: false, oneofs: false }) as { metrics: Array<Record<string, unknown>> };
}
