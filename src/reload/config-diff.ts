import { connectionView } from '../../connectors/connection-view.ts';
import { protocolOf } from '../../connectors/registry.ts';
import type { DeviceConfig } from '../../schemas/mapping.ts';
import type { LoadedConfig } from '../config/load.ts';
import { namespaceScopes } from '../bridge/namespace-scopes.ts';

/** gateway.yaml keys a reload applies live; a change to any other needs a restart. */
const LIVE_KEYS: ReadonlySet<string> = new Set(['mappings', 'reload', 'log']);

/** What a reload changes. */
export interface ConfigDiff {
  /** gateway.yaml settings that changed and need a restart (then nothing of the reload is applied). */
  restartRequired: string[];
  devicesAdded: string[];
  devicesRemoved: string[];
  /** Devices whose connection settings changed: their connection restarts. */
  devicesRestarted: string[];
  tagsAdded: string[];
  tagsRemoved: string[];
  /** Tags whose settings changed (a deadband, a unit, a topic). */
  tagsChanged: string[];
}

export function isEmptyDiff(diff: ConfigDiff): boolean {
  return Object.values(diff).every((list: string[]) => list.length === 0);
}

const json = (value: unknown) => JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));

/** What differs between the running configuration and `next`. */
export function diffConfigs(running: LoadedConfig, next: LoadedConfig): ConfigDiff {
  const restartRequired = Object.keys({ ...running.gateway, ...next.gateway }).filter(
    (key) => !LIVE_KEYS.has(key) && json(running.gateway[key as keyof typeof running.gateway]) !== json(next.gateway[key as keyof typeof next.gateway]),
  );
  // A bridge forwards, and takes setpoints for, the sites of the mapping at its start.
  if (running.gateway.bridges.length > 0 && json(namespaceScopes(running)) !== json(namespaceScopes(next))) restartRequired.push('bridges (the sites they forward: a site added or removed)');
  const before = new Map(running.devices.map((device) => [device.config.name, device.config]));
  const after = new Map(next.devices.map((device) => [device.config.name, device.config]));
  const view = (device: DeviceConfig) => connectionView([device], protocolOf(device.protocol).sourceTagKeys);
  const oldTags = new Map(running.tags.map((tag) => [tag.id, tag]));
  const newTags = new Map(next.tags.map((tag) => [tag.id, tag]));
  return {
    restartRequired,
    devicesAdded: [...after.keys()].filter((name) => !before.has(name)),
    devicesRemoved: [...before.keys()].filter((name) => !after.has(name)),
    devicesRestarted: [...after].filter(([name, device]) => {
      const old = before.get(name);
      return old !== undefined && (old.protocol !== device.protocol || view(old) !== view(device));
    }).map(([name]) => name),
    tagsAdded: [...newTags.keys()].filter((id) => !oldTags.has(id)),
    tagsRemoved: [...oldTags.keys()].filter((id) => !newTags.has(id)),
    tagsChanged: [...newTags].filter(([id, tag]) => oldTags.has(id) && json(oldTags.get(id)) !== json(tag)).map(([id]) => id),
  };
}
