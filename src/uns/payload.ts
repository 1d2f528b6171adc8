import type { SampleValue } from '../../connectors/sdk.ts';
import type { ValuePayload } from '../../schemas/payload.ts';

/** A payload as the gateway builds it: 64-bit integers may be bigint, written with every digit. */
export type OutgoingPayload = Omit<ValuePayload, 'value'> & { value: SampleValue };

/** JSON text of a value; a bigint keeps every digit. */
export function jsonValue(value: SampleValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(jsonValue).join(',')}]`;
  return JSON.stringify(value);
}

/**
 * Serialises a value payload with a fixed key order: value, timestamp, quality, status, unit.
 * Runs once per published sample, so it builds the text directly.
 */
export function encodeValuePayload(payload: OutgoingPayload): string {
  let text = `{"value":${jsonValue(payload.value)},"timestamp":${payload.timestamp},"quality":"${payload.quality}"`;
  if (payload.status !== undefined) text += `,"status":${JSON.stringify(payload.status)}`;
  if (payload.unit !== undefined) text += `,"unit":${JSON.stringify(payload.unit)}`;
  return `${text}}`;
}
