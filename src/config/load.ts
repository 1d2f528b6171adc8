import { dirname, resolve } from 'node:path';
import { gatewaySchema, type GatewayConfig } from '../../schemas/gateway.ts';
import { mappingFileSchema, type DeviceConfig } from '../../schemas/mapping.ts';
import { placeTag, type NamespaceTag } from '../uns/namespace.ts';
import { ConfigError, formatIssue, type ConfigIssue } from './issues.ts';
import { displayPath, resolveMappingEntries } from './mapping-files.ts';
import { referencedFileIssues } from './referenced-files.ts';
import { issueAt, readYamlSource, zodIssues, type YamlSource } from './yaml-source.ts';

export interface LoadedDevice {
  config: DeviceConfig;
  /** The mapping file it came from, as shown to the user. */
  file: string;
}

/** The whole validated configuration, frozen: what every other module receives. */
export interface LoadedConfig {
  file: string;
  gateway: GatewayConfig;
  /** Absolute data directory. */
  dataDir: string;
  /** Absolute folder of gateway.yaml: TLS files and mappings resolve against it. */
  configDir: string;
  mappingFiles: readonly string[];
  devices: readonly LoadedDevice[];
  tags: readonly NamespaceTag[];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function rawMappingEntries(data: unknown): string[] {
  const mappings = (data as { mappings?: unknown } | null)?.mappings;
  return Array.isArray(mappings) ? mappings.filter((m): m is string => typeof m === 'string') : [];
}

interface Placed {
  tag: NamespaceTag;
  source: YamlSource;
  path: (string | number)[];
}

/** Reads gateway.yaml and every mapping it names; throws one ConfigError listing every problem found. */
export function loadConfig(configPath: string): LoadedConfig {
  const absolute = resolve(configPath);
  const file = displayPath(absolute);
  const configDir = dirname(absolute);
  const issues: ConfigIssue[] = [];

  const read = readYamlSource(absolute, file);
  if (!read.ok) throw new ConfigError(read.issues);
  const parsed = gatewaySchema.safeParse(read.data);
  if (!parsed.success) issues.push(...zodIssues(read.source, parsed.error));
  const gateway = parsed.success ? parsed.data : undefined;
  if (gateway) issues.push(...referencedFileIssues(read.source, gateway, configDir));
  const root = gateway?.namespace.root;
  const qos = gateway?.namespace.qos ?? 1;

  const devices: LoadedDevice[] = [];
  const mappingFiles: string[] = [];
  const deviceNames = new Map<string, string>();
  const topics = new Map<string, Placed>();
  const tags: NamespaceTag[] = [];

  for (const entry of resolveMappingEntries(configDir, gateway?.mappings ?? rawMappingEntries(read.data))) {
    if (!entry.ok) {
      issues.push(issueAt(read.source, ['mappings', entry.index], entry.message));
      continue;
    }
    for (const mappingPath of entry.files) {
      const mappingFile = displayPath(mappingPath);
      mappingFiles.push(mappingFile);
      const mapping = readYamlSource(mappingPath, mappingFile);
      if (!mapping.ok) {
        issues.push(...mapping.issues);
        continue;
      }
      const result = mappingFileSchema.safeParse(mapping.data);
      if (!result.success) {
        issues.push(...zodIssues(mapping.source, result.error));
        continue;
      }
      result.data.devices.forEach((device, d) => {
        const devicePath = ['devices', d];
        const firstFile = deviceNames.get(device.name);
        if (firstFile !== undefined) {
          issues.push(
            issueAt(mapping.source, [...devicePath, 'name'], `device "${device.name}" is already defined in ${firstFile}`),
          );
          return;
        }
        deviceNames.set(device.name, mappingFile);
        devices.push({ config: device, file: mappingFile });
        const tagNames = new Set<string>();
        device.tags.forEach((tagConfig, t) => {
          const path = [...devicePath, 'tags', t];
          if (tagNames.has(tagConfig.name)) {
            issues.push(issueAt(mapping.source, [...path, 'name'], `device "${device.name}" already has a tag "${tagConfig.name}"`));
            return;
          }
          tagNames.add(tagConfig.name);
          const tag = placeTag(device, tagConfig, { root, qos });
          const first = topics.get(tag.topic);
          if (first !== undefined) {
            const where = issueAt(first.source, first.path, '');
            issues.push(
              issueAt(mapping.source, [...path, 'name'], `topic "${tag.topic}" is already mapped by ${formatIssue(where).replace(/: $/, '')}`),
            );
            return;
          }
          topics.set(tag.topic, { tag, source: mapping.source, path });
          tags.push(tag);
        });
      });
    }
  }

  if (issues.length > 0 || gateway === undefined) throw new ConfigError(issues);
  return deepFreeze({
    file,
    gateway,
    dataDir: resolve(configDir, gateway.store.dataDir),
    configDir,
    mappingFiles,
    devices,
    tags,
  });
}
