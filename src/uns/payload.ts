import type { ValuePayload } from '../../schemas/payload.ts';

/**
 * Serialises a value payload with a fixed key order: value, timestamp, quality, status, unit.
 * Runs once per published sample, so it builds the text directly.
 */
export function encodeValuePayload(payload: ValuePayload): string {
  let text = `{"value":${JSON.stringify(payload.value)},"timestamp":${payload.timestamp},"quality":"${payload.quality}"`;
  if (payload.status !== undefined) text += `,"status":${JSON.stringify(payload.status)}`;
  if (payload.unit !== undefined) text += `,"unit":${JSON.stringify(payload.unit)}`;
  return `${text}}`;
}
