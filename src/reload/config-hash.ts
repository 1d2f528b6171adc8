import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.ts';

/** The files of a configuration (gateway.yaml, then its mapping files), as absolute paths. */
export function configFiles(config: LoadedConfig): string[] {
  return [config.file, ...config.mappingFiles].map((file) => resolve(file));
}

/** A SHA-256 over the files of a configuration, each path with its content: what the running one is. */
export function configHash(config: LoadedConfig): string {
  const hash = createHash('sha256');
  for (const file of configFiles(config)) {
    hash.update(`${file}\0`);
    try {
      hash.update(readFileSync(file));
    } catch {
      hash.update('(unreadable)');
    }
    hash.update('\0');
  }
  return `sha256:${hash.digest('hex')}`;
}
