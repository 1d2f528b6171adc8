import { protocolOf } from '../../connectors/registry.ts';
import type { Sample } from '../../connectors/sdk.ts';
import type { CatalogDevice, CatalogTag, Session, SnapshotValue } from '../../shared/console-api.ts';
import type { Principal } from '../access/principal.ts';
import type { LoadedConfig } from '../config/load.ts';

/** A sample value JSON can hold: 64-bit integers as strings of digits. */
function jsonSafe(value: Sample['value']): unknown {
  if (typeof value === 'bigint') return value.toString();
  return Array.isArray(value) ? value.map(jsonSafe) : value;
}

function deadbandText(deadband: { absolute: number } | { percent: number }): string {
  return 'absolute' in deadband ? `± ${deadband.absolute}` : `± ${deadband.percent} %`;
}

/**
 * What the console shows a principal: the tags it may read, each with its mapping and whether it may
 * write it, the devices of those tags, the topic levels to subscribe to, and the latest readings.
 */
export function sessionFor(config: LoadedConfig, principal: Principal, latest: (tagId: string) => Sample | undefined): Session {
  const tags: CatalogTag[] = config.tags
    .filter((tag) => principal.mayRead(tag.topic))
    .map((tag) => {
      const protocol = protocolOf(tag.protocol);
      const described = protocol.describeTag(tag.config);
      const mapped = tag.config as typeof tag.config & { scale?: number; offset?: number };
      const scaled = mapped.scale !== undefined && (mapped.scale !== 1 || (mapped.offset ?? 0) !== 0);
      return {
        id: tag.id,
        topic: tag.topic,
        name: mapped.name,
        device: tag.device,
        protocol: tag.protocol,
        address: described.address,
        dataType: described.dataType,
        ...(tag.unit === undefined ? {} : { unit: tag.unit }),
        ...(scaled ? { scale: mapped.scale, offset: mapped.offset ?? 0 } : {}),
        ...(mapped.deadband === undefined ? {} : { deadband: deadbandText(mapped.deadband) }),
        ...(mapped.min === undefined ? {} : { min: mapped.min }),
        ...(mapped.max === undefined ? {} : { max: mapped.max }),
        writable: mapped.writable,
        takes: protocol.setValue(tag.config).takes,
        mayWrite: mapped.writable && principal.mayWrite(tag.topic),
      };
    });
  const shown = new Set(tags.map((tag) => tag.device));
  const catalogDevices: CatalogDevice[] = config.devices
    .filter((device) => shown.has(device.config.name))
    .map(({ config: device }) => ({ name: device.name, protocol: device.protocol, endpoint: protocolOf(device.protocol).endpoint(device) }));
  const values: Record<string, SnapshotValue> = {};
  for (const tag of tags) {
    const sample = latest(tag.id);
    if (sample === undefined) continue;
    const value = jsonSafe(sample.value);
    values[tag.topic] = { value, quality: sample.quality, timestamp: sample.timestamp, ...(sample.status === undefined ? {} : { status: sample.status }), ...(sample.unit === undefined ? {} : { unit: sample.unit }) };
  }
  return {
    values,
    username: principal.username ?? null,
    roles: [...principal.roles],
    tags,
    devices: catalogDevices,
    scopes: [...new Set(tags.map((tag) => tag.topic.split('/')[0] ?? ''))],
  };
}
