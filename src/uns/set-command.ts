import type { SetValueRule } from '../../connectors/protocol.ts';
import { protocolOf } from '../../connectors/registry.ts';
import type { WriteRequest } from '../../connectors/sdk.ts';
import type { TagConfig } from '../../schemas/mapping.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import type { NamespaceTag } from './namespace.ts';

/** A /set payload: `{"value": 55, "id": "…"}` or a bare JSON scalar. */
export interface SetCommand {
  value: unknown;
  id?: string;
}

export function parseSetPayload(payload: Buffer): SetCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new GatewayError(ErrorCodes.SET_PAYLOAD, 'payload is not JSON: send {"value": …, "id": "…"} or a bare JSON value');
  }
  if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
    const object = parsed as Record<string, unknown>;
    const unknownKeys = Object.keys(object).filter((key) => key !== 'value' && key !== 'id');
    if (!('value' in object) || unknownKeys.length > 0) {
      throw new GatewayError(ErrorCodes.SET_PAYLOAD, `expected {"value": …, "id": "…"}${unknownKeys.length ? `, unknown key ${unknownKeys.join(', ')}` : ', value missing'}`);
    }
    if (object.id !== undefined && typeof object.id !== 'string') throw new GatewayError(ErrorCodes.SET_PAYLOAD, 'id must be a string');
    return object.id === undefined ? { value: object.value } : { value: object.value, id: object.id };
  }
  return { value: parsed };
}

/** Checks a setpoint against what the tag's protocol takes for it, and its min/max; returns what the connector gets. */
export function checkSetValue(tag: Pick<NamespaceTag, 'protocol' | 'config'>, value: unknown): WriteRequest['value'] {
  const { config } = tag;
  const rule = protocolOf(tag.protocol).setValue(config);
  switch (rule.takes) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      throw new GatewayError(ErrorCodes.SET_TYPE, `tag ${config.name} takes true or false, got ${JSON.stringify(value)}`);
    case 'string':
      if (typeof value === 'string') return value;
      throw new GatewayError(ErrorCodes.SET_TYPE, `tag ${config.name} takes a string, got ${JSON.stringify(value)}`);
    case 'scalar':
      return checkScalar(config, value);
    case 'number':
      return checkNumber(config, rule, value);
  }
}

function checkNumber(tag: TagConfig, rule: Extract<SetValueRule, { takes: 'number' }>, value: unknown): WriteRequest['value'] {
  // 64-bit integers past 2^53 come as strings of digits, so that no digit is lost in JSON.
  const bigDigits = rule.digits === true && typeof value === 'string' && /^-?\d+$/.test(value);
  if (typeof value !== 'number' && !bigDigits) {
    throw new GatewayError(ErrorCodes.SET_TYPE, `tag ${tag.name} takes a number, got ${JSON.stringify(value)}`);
  }
  const numeric = Number(value);
  if (rule.integer !== undefined && !Number.isInteger(numeric)) {
    throw new GatewayError(ErrorCodes.SET_TYPE, `tag ${tag.name} is an integer (${rule.integer}), got ${String(value)}`);
  }
  checkRange(tag, numeric);
  return bigDigits ? BigInt(value as string) : numeric;
}

function checkRange(tag: TagConfig, value: number): void {
  if ((tag.min !== undefined && value < tag.min) || (tag.max !== undefined && value > tag.max)) {
    throw new GatewayError(ErrorCodes.SET_RANGE, `${value} is outside ${tag.min ?? '-∞'} … ${tag.max ?? '+∞'} for tag ${tag.name}`);
  }
}

/** Any JSON scalar, for a tag whose type the device decides: min/max on numbers. */
function checkScalar(tag: TagConfig, value: unknown): WriteRequest['value'] {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    // A number sent as a string (an Int64 past 2^53) is held to min/max like any number.
    if (/^-?\d+(\.\d+)?$/.test(value)) checkRange(tag, Number(value));
    return value;
  }
  if (typeof value !== 'number') {
    throw new GatewayError(ErrorCodes.SET_TYPE, `tag ${tag.name} takes a number, a boolean or a string, got ${JSON.stringify(value)}`);
  }
  checkRange(tag, value);
  return value;
}
