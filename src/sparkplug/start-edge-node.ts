import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../log.ts';
import type { Northbound } from '../northbound/northbound.ts';
import type { Store } from '../store/store.ts';
import type { MessageBus } from '../uns/message-bus.ts';
import type { WriteService } from '../writes/write-service.ts';
import { BridgeOutbox } from '../bridge/outbox.ts';
import { SparkplugEdgeNode } from './edge-node.ts';
import { HeldData } from './held-data.ts';
import { edgeNodeOf } from './node-topics.ts';

const BD_SEQ_KEY = 'sparkplug_bdseq';
const DEATH_KEY = 'sparkplug_ndeath';

/**
 * The NDEATH of the running session, kept in the store until a clean stop: after a crash or a power cut it
 * is published at the next start, before the new NBIRTH (the embedded broker died with the node, so no MQTT
 * will could carry it). Undefined without a store.
 */
function storedDeath(store: Store | undefined) {
  if (store === undefined) return undefined;
  const read = store.database.prepare('SELECT value FROM store_meta WHERE key = ?');
  const write = store.database.prepare('INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)');
  const remove = store.database.prepare('DELETE FROM store_meta WHERE key = ?');
  return {
    left: () => {
      const row = read.get(DEATH_KEY) as { value: string } | undefined;
      return row === undefined ? undefined : (JSON.parse(row.value) as { topic: string; payload: string });
    },
    put: (topic: string, payload: Buffer) => void write.run(DEATH_KEY, JSON.stringify({ topic, payload: payload.toString('base64') })),
    remove: () => void remove.run(DEATH_KEY),
  };
}

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
  const named = edgeNodeOf(config.gateway);
  if (named === undefined) return undefined;
  const settings = config.gateway.sparkplug;
  const { edgeNodeId } = named;
  const { store } = deps;
  const death = storedDeath(store);
  const left = death?.left();
  if (left !== undefined) {
    await deps.bus.publish(left.topic, Buffer.from(left.payload, 'base64'), { qos: 1, retain: false });
    deps.log.warn({ topic: left.topic }, 'sparkplug NDEATH published for the session an unclean stop ended');
  }
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
    will: death ?? { put: () => undefined, remove: () => undefined },
    primaryHost,
    log: deps.log,
  });
  deps.northbound.add(node);
  await node.start();
  deps.log.info({ groupId: settings.groupId, edgeNodeId }, 'sparkplug edge node started');
  return node;
}
