import type { DeviceConfig } from '../../schemas/mapping.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { ConnectorHost } from '../connector-host/host.ts';
import type { Northbound } from '../northbound/northbound.ts';
import type { SparkplugOutput } from '../sparkplug/start-edge-node.ts';
import type { NamespaceTag } from '../uns/namespace.ts';
import type { NamespacePublisher } from '../uns/publisher.ts';
import type { SetAdapter } from '../uns/set-adapter.ts';
import type { StatusPublisher } from '../uns/status.ts';
import type { TagIndex } from '../uns/tag-index.ts';
import type { ConfigDiff } from './config-diff.ts';

/** The parts of a running gateway that follow the mapping. */
export interface MappingParts {
  index: TagIndex;
  publisher: NamespacePublisher;
  northbound: Northbound;
  host: ConnectorHost;
  status: StatusPublisher;
  setAdapter: SetAdapter;
  sparkplug: SparkplugOutput | undefined;
  /** A tag's heartbeat under `config`: its own, or its device's. */
  heartbeatS(config: LoadedConfig): (tag: NamespaceTag) => number | undefined;
  /** The devices of `config` as their workers take them (paths made absolute). */
  workerDevices(config: LoadedConfig): DeviceConfig[];
}

/**
 * Applies a mapping change: the tag index and the publisher first (a tag that left its topic clears it,
 * or marks it bad), then the workers (only changed connections restart), what is kept of removed devices
 * (their latest samples, their metric series) and their status,
 * the `/set` subscriptions, and a new Sparkplug birth when the tags changed.
 */
export async function applyMapping(parts: MappingParts, next: LoadedConfig, diff: ConfigDiff): Promise<void> {
  parts.index.replace(next.tags);
  const left = parts.publisher.retag(next.tags, parts.heartbeatS(next), (tagId) => parts.northbound.latest(tagId));
  for (const tag of left) parts.publisher.retire(tag, next.gateway.reload.removedTags, parts.northbound.latest(tag.id));
  parts.host.reconfigure(parts.workerDevices(next));
  parts.northbound.devicesRemoved(diff.devicesRemoved);
  await Promise.all(diff.devicesRemoved.map((name) => parts.status.removeDevice(name)));
  await parts.setAdapter.start();
  if (diff.tagsAdded.length + diff.tagsRemoved.length + diff.tagsChanged.length > 0) parts.sparkplug?.retag(next.tags);
}
