import type { Registry } from 'prom-client';
import type { Bridges } from '../bridge/bridges.ts';
import type { BridgeStatus } from '../bridge/bridge-status.ts';
import type { DropReason } from '../bridge/outbox.ts';
import { collectedCounter, collectedGauge, type Series } from './collected.ts';

const DROP_REASONS: readonly DropReason[] = ['maxMessages', 'maxSizeMB', 'maxAgeS'];

/** Each bridge's metrics, from its status (Bridge.status()) when scraped. */
export function bridgeMetrics(registry: Registry, bridges: Bridges): void {
  const labelNames = ['bridge'];
  const each = (value: (status: BridgeStatus) => number) => (): Series[] =>
    bridges.list.map((bridge): Series => [{ bridge: bridge.config.name }, value(bridge.status())]);
  collectedGauge(registry, { name: 'uns_bridge_connected', help: '1 while the bridge is connected to its upstream broker', labelNames }, each((s) => (s.state === 'connected' ? 1 : 0)));
  collectedGauge(registry, { name: 'uns_bridge_backlog_messages', help: 'Messages in the outbox, sent and unacknowledged ones included', labelNames }, each((s) => s.backlog));
  collectedGauge(registry, { name: 'uns_bridge_backlog_bytes', help: 'Bytes of the messages in the outbox', labelNames }, each((s) => s.backlogBytes));
  const oldest = { name: 'uns_bridge_oldest_message_age_seconds', help: 'Age of the oldest message in the outbox; 0 when it is empty', labelNames };
  collectedGauge(registry, oldest, each((s) => s.oldestAgeS ?? 0));
  collectedCounter(registry, { name: 'uns_bridge_sent_messages_total', help: 'Messages the upstream broker acknowledged', labelNames }, each((s) => s.sent));
  const dropped = { name: 'uns_bridge_dropped_messages_total', help: 'Messages dropped unsent, by the outbox bound that dropped them', labelNames: ['bridge', 'reason'] };
  collectedCounter(registry, dropped, () =>
    bridges.list.flatMap((bridge) => {
      const status = bridge.status();
      return DROP_REASONS.map((reason): Series => [{ bridge: bridge.config.name, reason }, status.dropped[reason]]);
    }),
  );
}
