import type { Broker } from '../broker/broker.ts';
import type { Store } from '../store/store.ts';

export interface Check {
  ok: boolean;
  /** Why it fails. */
  reason?: string;
}

export interface Health {
  ok: boolean;
  checks: { broker: Check; store: Check };
}

/** Whether every listener of the broker accepts connections. */
function brokerCheck(broker: Broker): Check {
  if (broker.listeners.length === 0) return { ok: false, reason: 'no listener is bound' };
  const closed = broker.listeners.filter((listener) => !listener.listening());
  if (closed.length === 0) return { ok: true };
  return { ok: false, reason: `not listening on ${closed.map((l) => `${l.protocol} ${l.host}:${l.port}`).join(', ')}` };
}

/** Whether the store takes writes: its writer knows once one has failed (a full disk), and tries again every second. */
function storeCheck(store: Store | undefined): Check {
  const stats = store?.persistence.writer.stats;
  if (!stats?.failing) return { ok: true };
  return { ok: false, reason: `the store cannot be written: ${stats.failure ?? 'unknown error'}` };
}

/** The gateway is healthy when its broker listens and its store accepts writes (a memory store always does). */
export function checkHealth(broker: Broker, store: Store | undefined): Health {
  const checks = { broker: brokerCheck(broker), store: storeCheck(store) };
  return { ok: checks.broker.ok && checks.store.ok, checks };
}
