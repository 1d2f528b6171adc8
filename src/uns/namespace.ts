import type { ProtocolName } from '../../connectors/registry.ts';
import type { DeviceConfig, TagConfig } from '../../schemas/mapping.ts';
import { tagId } from '../../connectors/sdk.ts';
import { buildTopic } from './topic.ts';

/** A tag placed in the namespace: what the main thread needs to publish its samples. */
export interface NamespaceTag {
  /** `<device>/<tag name>`: what connectors call the tag. */
  id: string;
  device: string;
  /** Its device's protocol, which says what a write to it takes. */
  protocol: ProtocolName;
  topic: string;
  qos: 0 | 1 | 2;
  unit?: string | undefined;
  config: TagConfig;
}

export interface NamespaceOptions {
  root?: string | undefined;
  qos: 0 | 1 | 2;
}

/** Places one tag of a validated device: the tag's own site/area/asset win over the device's. */
export function placeTag(device: DeviceConfig, tag: TagConfig, options: NamespaceOptions): NamespaceTag {
  const topic = buildTopic({
    root: options.root,
    site: tag.site ?? device.site ?? '',
    area: tag.area ?? device.area ?? '',
    asset: tag.asset ?? device.asset ?? '',
    tag: tag.name,
  });
  return {
    id: tagId(device.name, tag.name),
    device: device.name,
    protocol: device.protocol,
    topic,
    qos: tag.qos ?? options.qos,
    unit: tag.unit,
    config: tag,
  };
}
