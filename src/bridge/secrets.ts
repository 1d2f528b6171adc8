import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecretReference } from '../../schemas/bridge.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';

/** The secret a reference points at: an environment variable's value, or a file's text without its trailing newline. */
export function readSecret(reference: SecretReference, configDir: string, setting: string): string {
  if ('env' in reference) {
    const value = process.env[reference.env];
    if (value === undefined || value === '') {
      throw new GatewayError(ErrorCodes.BRIDGE_SECRET, `${setting}: environment variable ${reference.env} is not set`, { env: reference.env });
    }
    return value;
  }
  const file = resolve(configDir, reference.file);
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new GatewayError(ErrorCodes.BRIDGE_SECRET, `${setting}: cannot read ${file}: ${(error as Error).message}`, { file });
  }
}
