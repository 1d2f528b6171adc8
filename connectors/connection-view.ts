/** Settings only the gateway's publisher uses: a reload that changes them restarts no connection. */
const PUBLISHER_KEYS: ReadonlySet<string> = new Set(['site', 'area', 'asset', 'description', 'heartbeatS', 'qos', 'unit', 'deadband']);

interface DeviceLike {
  tags: ReadonlyArray<object>;
}

/**
 * What the connector of `devices` depends on, as a string to compare across a reload: every setting but
 * the publisher's, except the tag settings the protocol's connector reads too (`sourceTagKeys`).
 */
export function connectionView(devices: readonly DeviceLike[], sourceTagKeys: readonly string[] = []): string {
  const keep = (object: object, kept: readonly string[]) => Object.fromEntries(Object.entries(object).filter(([key]) => !PUBLISHER_KEYS.has(key) || kept.includes(key)));
  return JSON.stringify(
    devices.map((device) => ({ ...keep(device, []), tags: device.tags.map((tag) => keep(tag, sourceTagKeys)) })),
    (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
  );
}
