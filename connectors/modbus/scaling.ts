import type { ScalarValue } from '../sdk.ts';
import type { RegisterValue } from './codec.ts';

export interface Scaling {
  scale: number;
  offset: number;
}

const isIdentity = (s: Scaling) => s.scale === 1 && s.offset === 0;

/**
 * Raw register value → engineering value (raw × scale + offset). 64-bit integers stay bigint when
 * they are past 2^53 and unscaled, so that the payload carries every digit; scaled values are numbers,
 * rounded to 12 significant digits to drop binary noise (0.1 × 3 gives 0.3, not 0.30000000000000004).
 */
export function toEngineering(raw: RegisterValue, scaling: Scaling): ScalarValue {
  if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  if (isIdentity(scaling)) {
    if (typeof raw === 'bigint') return Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
    return raw;
  }
  const value = Number(raw) * scaling.scale + scaling.offset;
  return Number.isFinite(value) ? Number(value.toPrecision(12)) : value;
}

/** Engineering value → raw value to encode: (value − offset) / scale. */
export function toRaw(value: number | bigint | boolean | string, scaling: Scaling): RegisterValue {
  if (isIdentity(scaling) || typeof value === 'boolean' || typeof value === 'string') return value;
  return (Number(value) - scaling.offset) / scaling.scale;
}
