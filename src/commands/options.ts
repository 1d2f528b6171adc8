import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';

/** A bad command line: the CLI prints it with the usage text and exits 2. */
export class UsageError extends GatewayError {
  constructor(message: string) {
    super(ErrorCodes.USAGE, message);
    this.name = 'UsageError';
  }
}

function wholeNumber(raw: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return value >= min && value <= max ? value : undefined;
}

/** `--name` as a whole number from `min` to `max`; `fallback` when it is not given. */
export function wholeNumberOption(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = wholeNumber(raw, min, max);
  if (value === undefined) throw new UsageError(`--${name} "${raw}" is not a whole number from ${min} to ${max}`);
  return value;
}

/** `--name` as a TCP port from `min` (1, or 0 where 0 has a meaning) to 65535; `fallback` when it is not given. */
export function portOption(name: string, raw: string | undefined, fallback: number, min: 0 | 1): number {
  if (raw === undefined) return fallback;
  const value = wholeNumber(raw, min, 65535);
  if (value === undefined) throw new UsageError(`--${name} "${raw}" is not a port: expected a whole number from ${min} to 65535`);
  return value;
}
