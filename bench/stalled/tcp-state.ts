import { readFileSync } from 'node:fs';

/** Linux TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h). */
const STATES = [
  '', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT',
  'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
] as const;

export interface TcpEntry {
  state: string;
  /** Bytes written by the owner and not yet acknowledged by the peer. */
  sendQueue: number;
  /** Bytes received and not yet read by the owner. */
  recvQueue: number;
}

/**
 * The IPv4 socket whose local port is `localPort` and remote port `remotePort`
 * (any address), from /proc/net/tcp; null if there is none. It also lists
 * sockets no process owns any more, e.g. one a broker closed with unsent data.
 */
export function tcpEntry(localPort: number, remotePort: number): TcpEntry | null {
  const lines = readFileSync('/proc/net/tcp', 'utf8').split('\n');
  for (const line of lines.slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue ...
    const f = line.trim().split(/\s+/);
    const local = f[1]?.split(':')[1];
    const remote = f[2]?.split(':')[1];
    if (local === undefined || remote === undefined) continue;
    if (Number.parseInt(local, 16) !== localPort || Number.parseInt(remote, 16) !== remotePort) continue;
    const [tx, rx] = (f[4] ?? '').split(':');
    return {
      state: STATES[Number.parseInt(f[3] ?? '', 16)] ?? `state ${f[3]}`,
      sendQueue: Number.parseInt(tx ?? '', 16),
      recvQueue: Number.parseInt(rx ?? '', 16),
    };
  }
  return null;
}
