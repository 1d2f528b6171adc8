import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import type { Northbound } from '../northbound/northbound.ts';
import type { StoredPacket } from '../store/packet-codec.ts';
import type { Store } from '../store/store.ts';
import type { MessageBus } from '../uns/message-bus.ts';
import type { WriteService } from '../writes/write-service.ts';
import { BridgeOutbox } from '../bridge/outbox.ts';
import { SparkplugEdgeNode } from './edge-node.ts';
import { HeldData } from './held-data.ts';

const BD_SEQ_KEY = 'sparkplug_bdseq';

/** The next birth/death sequence number, kept in the store across starts (0 without a store). */
function nextBdSeq(store: Store | undefined): number {
  if (store === undefined) return 0;
  const row = store.database.prepare('SELECT value FROM store_meta WHERE key = ?').get(BD_SEQ_KEY) as { value: string } | undefined;
  const next = row === undefined ? 0 : (Number(row.value) + 1) % 256;
  store.database.prepare('INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)').run(BD_SEQ_KEY, String(next));
  return next;
}

/** Starts the Sparkplug B edge node when `sparkplug.enabled`, as a consumer of the connectors' events. */
export async function startEdgeNode(
  config: LoadedConfig,
  deps: { bus: MessageBus; northbound: Northbound; writes: WriteService; store: Store | undefined; log: Logger },
): Promise<SparkplugEdgeNode | undefined> {
  const settings = config.gateway.sparkplug;
  if (!settings.enabled) return undefined;
  const edgeNodeId = settings.edgeNodeId ?? config.gateway.id;
  const willClient = { id: `sparkplug:${settings.groupId}:${edgeNodeId}` };
  const { store } = deps;
  const hostId = settings.primaryHostId;
  const primaryHost =
    hostId === undefined || store === undefined
      ? undefined
      : {
          id: hostId,
          retainedState: store.persistence.retained.get(`spBv1.0/STATE/${hostId}`)?.payload,
          held: new HeldData(
            new BridgeOutbox(
              store.database,
              store.persistence.writer,
              `sparkplug:${settings.groupId}:${edgeNodeId}`,
              { maxMessages: settings.maxHeldMessages, maxBytes: Number.MAX_SAFE_INTEGER, maxAgeMs: Number.MAX_SAFE_INTEGER, mode: 'history' },
              (reason, count) => deps.log.warn({ dropped: count, reason }, 'sparkplug held data over sparkplug.maxHeldMessages: the oldest were dropped'),
            ),
          ),
        };
  const node = new SparkplugEdgeNode({
    groupId: settings.groupId,
    edgeNodeId,
    root: config.gateway.namespace.root,
    tags: config.tags,
    bus: deps.bus,
    latest: (tagId) => deps.northbound.latest(tagId),
    writes: deps.writes,
    bdSeq: nextBdSeq(store),
    will: {
      put: (topic, payload) => void store?.persistence.putWill(willClient, { cmd: 'publish', topic, payload, qos: 1, retain: false } as StoredPacket),
      remove: () => void store?.persistence.delWill(willClient),
    },
    primaryHost,
    log: deps.log,
  });
  deps.northbound.add(node);
  await node.start();
  deps.log.info({ groupId: settings.groupId, edgeNodeId }, 'sparkplug edge node started');
  return node;
}
