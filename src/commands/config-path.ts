import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** `config/gateway.yaml` in the working directory, else the one shipped with the package. */
export function defaultConfigPath(): string {
  const local = 'config/gateway.yaml';
  return existsSync(local) ? local : fileURLToPath(new URL('../../config/gateway.yaml', import.meta.url));
}
