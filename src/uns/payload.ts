import type { SampleValue } from '../../connectors/sdk.ts';
import { qualitySchema, type Quality, type ValuePayload } from '../../schemas/payload.ts';

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

/**
 * A payload text as `encodeValuePayload` writes it: what comes before the quality (value, timestamp),
 * the quality, an optional status, and what follows (unit). A quote inside a JSON string is escaped, so
 * `,"timestamp":` and `"quality":` match only the keys.
 */
const PAYLOAD_TEXT = /^(\{"value":[^]*,"timestamp":\d+,"quality":)"(good|uncertain|bad)"(?:,"status":"(?:[^"\\]|\\.)*")?((?:,"unit":"(?:[^"\\]|\\.)*")?\})$/;

/**
 * The same payload text with another quality and status, its value, timestamp and unit kept byte for
 * byte (a 64-bit value keeps every digit). Undefined when the text is not in the gateway's format or
 * its quality is not one of `from`.
 */
export function requalify(text: string, quality: Exclude<Quality, 'good'>, status: string, from: readonly Quality[] = qualitySchema.options): string | undefined {
  const match = PAYLOAD_TEXT.exec(text);
  if (!match || !from.includes(match[2] as Quality)) return undefined;
  return `${match[1] ?? ''}"${quality}","status":${JSON.stringify(status)}${match[3] ?? ''}`;
}

const INTEGER_VALUE = /^\{"value":(-?\d+),/;

/**
 * A retained payload read back; an integer value past 2^53 comes back as a bigint with every digit,
 * as it was published. Undefined when the text is not a JSON object.
 */
export function decodeValuePayload(text: string): Record<string, unknown> | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const fields = payload as Record<string, unknown>;
  if (typeof fields.value === 'number' && Number.isInteger(fields.value) && !Number.isSafeInteger(fields.value)) {
    const digits = INTEGER_VALUE.exec(text)?.[1];
    if (digits !== undefined) fields.value = BigInt(digits);
  }
  return fields;
}
