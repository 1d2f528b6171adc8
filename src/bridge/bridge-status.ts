import type { WireError } from '../../shared/errors.ts';
import type { DropReason } from './outbox.ts';

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** Retained JSON on `_gateway/<id>/bridges/<name>/status`; the README describes each field. */
export interface BridgeStatus {
  state: LinkState;
  /** When `state` last changed. */
  since: number;
  url: string;
  lastError: (WireError & { at: number }) | null;
  /** Messages in the outbox, sent and unacknowledged ones included. */
  backlog: number;
  backlogBytes: number;
  /** Age of the oldest message in the outbox, in seconds; null when it is empty. */
  oldestAgeS: number | null;
  inFlight: number;
  /** Messages dropped unsent since the start, by the bound that dropped them. */
  dropped: Record<DropReason, number> & { total: number };
  /** Messages acknowledged by the upstream since the start. */
  sent: number;
  /** Messages sent again after a drop of the connection (the only possible duplicates upstream). */
  resent: number;
  /** Messages acknowledged a second, over the last status interval. */
  sendRate: number;
  timestamp: number;
}

/** The status without its timestamp and rate, to tell whether anything changed. */
export function statusKey(status: BridgeStatus): string {
  const { timestamp: _timestamp, sendRate: _rate, oldestAgeS: _age, ...rest } = status;
  return JSON.stringify(rest);
}
