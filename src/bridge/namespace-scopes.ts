import type { LoadedConfig } from '../config/load.ts';

/** The first topic level of every tag: its site, or its root's first level. */
export function namespaceScopes(config: LoadedConfig): string[] {
  return [...new Set(config.tags.map((tag) => tag.topic.split('/')[0] ?? ''))];
}

/** What a bridge forwards when it names nothing: the whole namespace (its root, or each site) and the gateway's own topics. */
export function defaultForward(config: LoadedConfig): string[] {
  const root = config.gateway.namespace.root;
  const namespace = root === undefined ? namespaceScopes(config).map((site) => `${site}/#`) : [`${root}/#`];
  return [...namespace, `_gateway/${config.gateway.id}/#`];
}
