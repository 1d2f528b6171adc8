import type { Registry } from 'prom-client';
import { ErrorCodes } from '../../shared/errors.ts';
import type { Broker } from '../broker/broker.ts';
import type { Store } from '../store/store.ts';
import { collectedCounter, collectedGauge, type Series } from './collected.ts';

/** Persistent sessions shown with their own queue depth: the deepest ones. */
const TOP_SESSIONS = 10;

const byQos = (counts: readonly number[]): Series[] => counts.map((count, qos): Series => [{ qos: String(qos) }, count]);

/** The embedded broker's metrics, read when scraped; queues and retained messages come from the SQLite store. */
export function brokerMetrics(registry: Registry, broker: Broker, store: Store | undefined): void {
  collectedGauge(registry, { name: 'uns_broker_clients_connected', help: 'MQTT clients connected' }, () => broker.connectedClients());
  const received = { name: 'uns_broker_messages_received_total', help: 'PUBLISH packets received from clients, by QoS', labelNames: ['qos'] };
  collectedCounter(registry, received, () => byQos(broker.traffic.received));
  const sent = { name: 'uns_broker_messages_sent_total', help: 'Messages delivered to clients\' connections (live and retained), by QoS', labelNames: ['qos'] };
  collectedCounter(registry, sent, () => byQos(broker.traffic.sent));
  const bytes = () => broker.listeners.map((listener) => listener.bytes());
  const bytesIn = { name: 'uns_broker_received_bytes_total', help: 'Bytes received on client connections, TLS and WebSocket framing included' };
  collectedCounter(registry, bytesIn, () => bytes().reduce((sum, b) => sum + b.received, 0));
  const bytesOut = { name: 'uns_broker_sent_bytes_total', help: 'Bytes sent on client connections, TLS and WebSocket framing included' };
  collectedCounter(registry, bytesOut, () => bytes().reduce((sum, b) => sum + b.sent, 0));
  const dropped = { name: 'uns_broker_messages_dropped_total', help: 'Messages dropped undelivered, by reason', labelNames: ['reason'] };
  collectedCounter(registry, dropped, (): Series[] => [
    [{ reason: 'slow_subscriber' }, broker.refusals()[ErrorCodes.QOS0_DROPPED] ?? 0],
    ...(store
      ? [
          [{ reason: 'queue_limit' }, store.persistence.outgoing.stats.droppedPerClientLimit] as const,
          [{ reason: 'store_size_limit' }, store.persistence.outgoing.stats.droppedSizeLimit] as const,
        ]
      : []),
  ]);
  const refusals = { name: 'uns_broker_refusals_total', help: 'What the broker refused or cut off on its own, by error code', labelNames: ['code'] };
  collectedCounter(registry, refusals, () => Object.entries(broker.refusals()).map(([code, count]): Series => [{ code }, count]));
  if (!store) return;
  const { retained, outgoing } = store.persistence;
  collectedGauge(registry, { name: 'uns_broker_retained_messages', help: 'Retained messages held' }, () => retained.size);
  const queued = { name: 'uns_broker_queued_messages', help: 'QoS 1/2 messages queued or in flight for persistent sessions, all together' };
  collectedGauge(registry, queued, () => outgoing.depths(0).total);
  const sessions = {
    name: 'uns_broker_session_queued_messages',
    help: `QoS 1/2 messages queued or in flight for a persistent session: the ${TOP_SESSIONS} deepest queues`,
    labelNames: ['client_id'],
  };
  collectedGauge(registry, sessions, () => outgoing.depths(TOP_SESSIONS).deepest.map(({ clientId, depth }): Series => [{ client_id: clientId }, depth]));
}
