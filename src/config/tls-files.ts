import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GatewayConfig } from '../../schemas/gateway.ts';
import type { ConfigIssue } from './issues.ts';
import { displayPath } from './mapping-files.ts';
import { issueAt, type YamlSource } from './yaml-source.ts';

const TLS_KEYS = ['cert', 'key', 'ca'] as const;

/** Why the TLS file at `absolute` cannot serve, or undefined when it is a readable file. */
function problem(absolute: string, file: string): string | undefined {
  try {
    if (!statSync(absolute).isFile()) return `TLS file "${file}" is a folder, not a PEM file`;
    accessSync(absolute, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `TLS file "${file}" not found (looked for ${displayPath(absolute)})`;
    return `TLS file "${file}" cannot be read: ${(error as Error).message}`;
  }
}

/** The listeners' cert, key and ca files, checked at load so that `validate` finds what `run` would trip on. */
export function tlsFileIssues(source: YamlSource, gateway: GatewayConfig, configDir: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  gateway.broker.listeners.forEach((listener, index) => {
    if (!('cert' in listener)) return;
    for (const key of TLS_KEYS) {
      const file = listener[key];
      if (file === undefined) continue;
      const message = problem(resolve(configDir, file), file);
      if (message !== undefined) issues.push(issueAt(source, ['broker', 'listeners', index, key], message));
    }
  });
  return issues;
}
