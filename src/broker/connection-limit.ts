import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/** Descriptors kept for the store, the connectors, the log and the listeners themselves. */
const RESERVED_DESCRIPTORS = 64;
const MOST_CONNECTIONS = 10_000;

/** The process's soft limit of open files, from /proc on Linux; undefined elsewhere. */
function openFileLimit(limits = '/proc/self/limits'): number | undefined {
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

/**
 * Counts the sockets open across every listener, from the moment they are accepted (before a TLS
 * handshake or a WebSocket upgrade), and closes those past the limit at once.
 */
export class ConnectionGate {
  private open = 0;

  constructor(
    readonly max: number,
    private readonly refused: (socket: Socket) => void,
  ) {}

  /** Whether `socket` may stay; it is counted until it closes. A refused one is destroyed. */
  admit(socket: Socket): boolean {
    if (this.open >= this.max) {
      this.refused(socket);
      socket.destroy();
      return false;
    }
    this.open++;
    socket.once('close', () => this.open--);
    return true;
  }
}
