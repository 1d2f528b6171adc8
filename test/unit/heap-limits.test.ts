import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { WorkerSetup } from '../../connectors/sdk.ts';
import { connectorHeapLimits, flagsButSemiSpace, heapLimitFlags, semiSpaceFlagMb } from '../../src/connector-host/heap-limits.ts';

const setup = (protocol: WorkerSetup['protocol'], ...tagCounts: number[]) =>
  ({ protocol, devices: tagCounts.map((tags) => ({ protocol, tags: Array.from({ length: tags }, () => ({})) })) }) as unknown as WorkerSetup;

describe('connector heap limits', () => {
  it("gives Modbus threads a 1 MB semi-space and OPC UA threads 16 MB, or node's semi-space size when that is smaller", () => {
    expect(connectorHeapLimits(setup('modbus', 10), undefined).maxYoungGenerationSizeMb).toBe(3);
    expect(connectorHeapLimits(setup('opcua', 10), undefined).maxYoungGenerationSizeMb).toBe(48);
    expect(connectorHeapLimits(setup('opcua', 10), 32).maxYoungGenerationSizeMb).toBe(48);
    expect(connectorHeapLimits(setup('opcua', 10), 2).maxYoungGenerationSizeMb).toBe(6);
    expect(connectorHeapLimits(setup('modbus', 10), 1).maxYoungGenerationSizeMb).toBe(3);
  });

  it('reads the semi-space size node was started with, the command line over NODE_OPTIONS', () => {
    expect(semiSpaceFlagMb([], '')).toBeUndefined();
    expect(semiSpaceFlagMb(['--max-old-space-size=256'], '--trace-warnings')).toBeUndefined();
    expect(semiSpaceFlagMb(['--max-semi-space-size=32'], '')).toBe(32);
    expect(semiSpaceFlagMb([], ' --max_semi_space_size=8  --trace-warnings')).toBe(8);
    expect(semiSpaceFlagMb(['--max-semi-space-size=1'], '--max-semi-space-size=8')).toBe(1);
    expect(semiSpaceFlagMb(['--max-semi-space-size=0'], '--max-semi-space-size=8')).toBeUndefined();
  });

  it("gives a main thread node's semi-space size and a connector thread its own, once the flag is released", () => {
    // A thread's young generation as V8 grew it under a load that keeps 100,000 objects alive: its two semi-spaces.
    const probe = (release: boolean): { main: number; worker: number } => {
      const churn = `const keep = new Array(100000); for (let i = 0; i < 3e6; i++) keep[i % 100000] = { i, s: 'x' + i };`;
      const newSpace = `(await import('node:v8')).getHeapSpaceStatistics().find((space) => space.space_name === 'new_space').space_size / 1048576`;
      const script = `import { Worker } from 'node:worker_threads';
        import { connectorHeapLimits, releaseSemiSpaceFlag } from ${JSON.stringify(new URL('../../src/connector-host/heap-limits.ts', import.meta.url).href)};
        ${release ? 'releaseSemiSpaceFlag();' : ''}
        ${churn}
        const main = ${newSpace};
        const limits = connectorHeapLimits({ protocol: 'opcua', devices: [] });
        const worker = new Worker(\`(async () => { ${churn} (await import('node:worker_threads')).parentPort.postMessage(${newSpace}); })();\`, { eval: true, resourceLimits: limits });
        worker.once('message', (size) => { console.log(JSON.stringify({ main, worker: size })); void worker.terminate(); });`;
      const out = execFileSync(process.execPath, ['--max-semi-space-size=32', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      return JSON.parse(out) as { main: number; worker: number };
    };
    expect(probe(true)).toEqual({ main: 64, worker: 32 });
    // Without the release, V8 gives the worker the flag's size over its resourceLimits.
    expect(probe(false)).toEqual({ main: 64, worker: 64 });
  });

  it('caps the old generation at 512 MB, or 16 KB per tag of every device when that is more', () => {
    expect(connectorHeapLimits(setup('opcua', 10_000)).maxOldGenerationSizeMb).toBe(512);
    expect(connectorHeapLimits(setup('opcua', 60_000, 40_000)).maxOldGenerationSizeMb).toBe(1563);
  });

  it("gives a child process the same limits as node flags, and the gateway's node flags but its semi-space size", () => {
    expect(heapLimitFlags(connectorHeapLimits(setup('modbus', 10), undefined))).toEqual(['--max-semi-space-size=1', '--max-old-space-size=512']);
    expect(heapLimitFlags(connectorHeapLimits(setup('opcua', 10), 32))).toEqual(['--max-semi-space-size=16', '--max-old-space-size=512']);
    expect(flagsButSemiSpace(['--max-semi-space-size=32', '--max-old-space-size=256', '--optimize-for-size'])).toEqual(['--max-old-space-size=256', '--optimize-for-size']);
  });
});
