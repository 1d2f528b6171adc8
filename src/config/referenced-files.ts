import { accessSync, constants, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GatewayConfig } from '../../schemas/gateway.ts';
import type { ConfigIssue } from './issues.ts';
import { displayPath } from './mapping-files.ts';
import { issueAt, type YamlSource } from './yaml-source.ts';

const TLS_KEYS = ['cert', 'key', 'ca'] as const;

/** Why the file at `absolute` cannot serve, or undefined when it is a readable file. */
function problem(absolute: string, file: string, kind: string): string | undefined {
  try {
    if (!statSync(absolute).isFile()) return `${kind} "${file}" is a folder, not a ${kind === 'TLS file' ? 'PEM file' : 'file'}`;
    accessSync(absolute, constants.R_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `${kind} "${file}" not found (looked for ${displayPath(absolute)})`;
    return `${kind} "${file}" cannot be read: ${(error as Error).message}`;
  }
}

/**
 * The files the config names (the listeners' and bridges' cert, key and ca, the bridges' password files),
 * checked at load so that `validate` finds what `run` would trip on.
 */
export function referencedFileIssues(source: YamlSource, gateway: GatewayConfig, configDir: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const check = (file: string | undefined, path: (string | number)[], kind: string) => {
    if (file === undefined) return;
    const message = problem(resolve(configDir, file), file, kind);
    if (message !== undefined) issues.push(issueAt(source, path, message));
  };
  gateway.broker.listeners.forEach((listener, index) => {
    if ('cert' in listener) for (const key of TLS_KEYS) check(listener[key], ['broker', 'listeners', index, key], 'TLS file');
  });
  gateway.bridges.forEach((bridge, index) => {
    for (const key of TLS_KEYS) check(bridge.tls?.[key], ['bridges', index, 'tls', key], 'TLS file');
    if (bridge.password !== undefined && 'file' in bridge.password) check(bridge.password.file, ['bridges', index, 'password', 'file'], 'password file');
  });
  return issues;
}
