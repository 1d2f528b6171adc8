import type { GatewayConfig } from '../../schemas/gateway.ts';

const NODE_OUTPUT = new Set(['NBIRTH', 'NDEATH', 'DBIRTH', 'DDEATH', 'NDATA', 'DDATA']);

/**
 * Whether `topic` is one the edge node publishes (`spBv1.0/<group>/<N|D><BIRTH|DEATH|DATA>/<node>[/…]`):
 * only the gateway may, as with tag values, so that no client speaks for the node. Commands (NCMD,
 * DCMD) stay open to clients with the rights.
 */
export function edgeNodeOwns(groupId: string, edgeNodeId: string, topic: string): boolean {
  const [namespace, group, type, node] = topic.split('/', 4);
  return namespace === 'spBv1.0' && group === groupId && node === edgeNodeId && type !== undefined && NODE_OUTPUT.has(type);
}

/** The edge node the config names (its group, and its id: `sparkplug.edgeNodeId` or the gateway id); undefined when Sparkplug is off. */
export function edgeNodeOf(gateway: GatewayConfig): { groupId: string; edgeNodeId: string } | undefined {
  const settings = gateway.sparkplug;
  return settings.enabled ? { groupId: settings.groupId, edgeNodeId: settings.edgeNodeId ?? gateway.id } : undefined;
}
