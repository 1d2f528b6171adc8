import { describe, expect, it } from 'vitest';
import type { WorkerSetup } from '../../connectors/sdk.ts';
import { connectorHeapLimits, heapLimitFlags } from '../../src/connector-host/heap-limits.ts';

const setup = (protocol: WorkerSetup['protocol'], ...tagCounts: number[]) =>
  ({ protocol, devices: tagCounts.map((tags) => ({ protocol, tags: Array.from({ length: tags }, () => ({})) })) }) as unknown as WorkerSetup;

describe('connector heap limits', () => {
  it('gives Modbus threads a 1 MB semi-space and OPC UA threads 4 MB', () => {
    expect(connectorHeapLimits(setup('modbus', 10)).maxYoungGenerationSizeMb).toBe(3);
    expect(connectorHeapLimits(setup('opcua', 10)).maxYoungGenerationSizeMb).toBe(12);
  });

  it('caps the old generation at 512 MB, or 16 KB per tag of every device when that is more', () => {
    expect(connectorHeapLimits(setup('opcua', 10_000)).maxOldGenerationSizeMb).toBe(512);
    expect(connectorHeapLimits(setup('opcua', 60_000, 40_000)).maxOldGenerationSizeMb).toBe(1563);
  });

  it('gives a child process the same limits as node flags', () => {
    expect(heapLimitFlags(connectorHeapLimits(setup('modbus', 10)))).toEqual(['--max-semi-space-size=1', '--max-old-space-size=512']);
    expect(heapLimitFlags(connectorHeapLimits(setup('opcua', 10)))).toEqual(['--max-semi-space-size=4', '--max-old-space-size=512']);
  });
});
