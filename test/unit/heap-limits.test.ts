import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../schemas/mapping.ts';
import { connectorHeapLimits, heapLimitFlags } from '../../src/connector-host/heap-limits.ts';

const device = (protocol: 'modbus' | 'opcua', tags: number) => ({ protocol, tags: Array.from({ length: tags }, () => ({})) }) as unknown as DeviceConfig;

describe('connector heap limits', () => {
  it('gives Modbus threads a 1 MB semi-space and OPC UA threads 4 MB', () => {
    expect(connectorHeapLimits([device('modbus', 10)]).maxYoungGenerationSizeMb).toBe(3);
    expect(connectorHeapLimits([device('opcua', 10)]).maxYoungGenerationSizeMb).toBe(12);
  });

  it('caps the old generation at 512 MB, or 16 KB per tag of every device when that is more', () => {
    expect(connectorHeapLimits([device('opcua', 10_000)]).maxOldGenerationSizeMb).toBe(512);
    expect(connectorHeapLimits([device('opcua', 60_000), device('opcua', 40_000)]).maxOldGenerationSizeMb).toBe(1563);
  });

  it('gives a child process the same limits as node flags', () => {
    expect(heapLimitFlags(connectorHeapLimits([device('modbus', 10)]))).toEqual(['--max-semi-space-size=1', '--max-old-space-size=512']);
    expect(heapLimitFlags(connectorHeapLimits([device('opcua', 10)]))).toEqual(['--max-semi-space-size=4', '--max-old-space-size=512']);
  });
});

