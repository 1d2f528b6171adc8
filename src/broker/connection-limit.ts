import { readFileSync } from 'node:fs';

/** Descriptors kept for the store, the connectors, the log and the listeners themselves. */
const RESERVED_DESCRIPTORS = 64;
const MOST_CONNECTIONS = 10_000;

/** The process's soft limit of open files, from /proc on Linux; undefined elsewhere. */
export function openFileLimit(limits = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limits, 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * Client connections allowed when the config names no number: as many as the open-file limit leaves room
 * for. Past that limit accept() fails with EMFILE, and then no one can connect, legitimate or not.
 */
export function defaultMaxConnections(fileLimit = openFileLimit()): number {
  if (fileLimit === undefined || !Number.isFinite(fileLimit)) return MOST_CONNECTIONS;
  return Math.max(16, Math.min(MOST_CONNECTIONS, fileLimit - RESERVED_DESCRIPTORS));
}
