import type { LoadedConfig } from '../config/load.ts';
import { principalWithRoles } from '../access/principal.ts';
import type { Bridges } from '../bridge/bridges.ts';
import { bridgeClientId, upstreamClientOptions } from '../bridge/client-options.ts';
import { BridgeOutbox, type DropReason } from '../bridge/outbox.ts';
import type { Logger } from '../log.ts';
import type { Northbound } from '../northbound/northbound.ts';
import type { Store } from '../store/store.ts';
import type { MessageBus } from '../uns/message-bus.ts';
import type { NamespaceTag } from '../uns/namespace.ts';
import type { WriteService } from '../writes/write-service.ts';
import { SparkplugEdgeNode } from './edge-node.ts';
import { EmbeddedSession } from './embedded-session.ts';
import { HeldData } from './held-data.ts';
import { edgeNodeOf } from './node-topics.ts';
import type { SparkplugSession } from './session.ts';
import { metaValue } from './store-meta.ts';
import { UpstreamSession } from './upstream-session.ts';

/** At most one log line per this long about held data dropped over its bounds. */
const DROP_LOG_INTERVAL_MS = 10_000;

export interface EdgeNodeDeps {
  bus: MessageBus;
  northbound: Northbound;
  writes: WriteService;
  store: Store | undefined;
  bridges: Bridges | undefined;
  log: Logger;
}

/** The running Sparkplug output: one edge node session per broker published to. */
export interface SparkplugOutput {
  /** A reload: the metrics from now on, with a new birth on every broker. */
  retag(tags: readonly NamespaceTag[]): void;
  stop(): Promise<void>;
}

/**
 * Starts the Sparkplug B edge node when `sparkplug.enabled`, as a consumer of the connectors' events: on the
 * embedded broker (`sparkplug.embedded`) and on each upstream of `sparkplug.bridges`.
 */
export async function startEdgeNode(config: LoadedConfig, deps: EdgeNodeDeps): Promise<SparkplugOutput | undefined> {
  const named = edgeNodeOf(config.gateway);
  if (named === undefined) return undefined;
  const settings = config.gateway.sparkplug;
  const { groupId, edgeNodeId } = named;
  const { store, log } = deps;
  const nodes: SparkplugEdgeNode[] = [];
  const node = (session: SparkplugSession, held: HeldData | undefined, retainedState: Buffer | undefined) =>
    new SparkplugEdgeNode({
      groupId,
      edgeNodeId,
      root: config.gateway.namespace.root,
      tags: config.tags,
      session,
      latest: (tagId) => deps.northbound.latest(tagId),
      writes: deps.writes,
      primaryHost: settings.primaryHostId === undefined ? undefined : { id: settings.primaryHostId, retainedState },
      held,
      log,
    });
  if (settings.embedded) {
    const kept = store && { bdSeq: metaValue(store.database, 'sparkplug_bdseq'), death: metaValue(store.database, 'sparkplug_ndeath') };
    const held =
      settings.primaryHostId === undefined || store === undefined
        ? undefined
        : heldData(store, `sparkplug:${groupId}:${edgeNodeId}`, { maxMessages: settings.maxHeldMessages, maxBytes: Number.MAX_SAFE_INTEGER, maxAgeMs: Number.MAX_SAFE_INTEGER }, log);
    const retained = settings.primaryHostId === undefined ? undefined : store?.persistence.retained.get(`spBv1.0/STATE/${settings.primaryHostId}`)?.payload;
    nodes.push(node(new EmbeddedSession(deps.bus, kept, log), held, retained));
  }
  for (const name of settings.bridges) {
    const bridge = deps.bridges?.list.find((candidate) => candidate.config.name === name)?.config;
    if (bridge === undefined || store === undefined) continue;
    const clientId = `${bridgeClientId(bridge, config.gateway.id)}-sparkplug`;
    const principal = principalWithRoles(config.gateway.access, `bridge:${name}`, clientId, bridge.downlink.enabled ? bridge.downlink.roles : []);
    const session = new UpstreamSession(bridge, upstreamClientOptions(bridge, clientId, config.configDir), metaValue(store.database, `sparkplug_bdseq:${name}`), principal, log);
    const bounds = { maxMessages: bridge.outbox.maxMessages, maxBytes: bridge.outbox.maxSizeMB * 1024 * 1024, maxAgeMs: bridge.outbox.maxAgeS * 1000 };
    nodes.push(node(session, heldData(store, `sparkplug:${groupId}:${edgeNodeId}:${name}`, bounds, log), undefined));
  }
  for (const each of nodes) {
    deps.northbound.add(each);
    await each.start();
  }
  log.info({ groupId, edgeNodeId, embedded: settings.embedded, bridges: settings.bridges }, 'sparkplug edge node started');
  return {
    retag: (tags) => nodes.forEach((each) => each.retag(tags)),
    stop: async () => void (await Promise.all(nodes.map((each) => each.stop()))),
  };
}

/** Data held in the store while it cannot go out, within `bounds`; drops of the oldest are logged now and then. */
function heldData(store: Store, name: string, bounds: { maxMessages: number; maxBytes: number; maxAgeMs: number }, log: Logger): HeldData {
  let dropped: Partial<Record<DropReason, number>> = {};
  let loggedAt = 0;
  const outbox = new BridgeOutbox(store.database, store.persistence.writer, name, { ...bounds, mode: 'history' }, (reason, count) => {
    dropped[reason] = (dropped[reason] ?? 0) + count;
    if (Date.now() - loggedAt < DROP_LOG_INTERVAL_MS) return;
    loggedAt = Date.now();
    log.warn({ held: name, dropped }, 'sparkplug held data over its bounds: the oldest were dropped');
    dropped = {};
  });
  return new HeldData(outbox);
}
