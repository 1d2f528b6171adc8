import { setFlagsFromString } from 'node:v8';
import type { ResourceLimits } from 'node:worker_threads';
import { protocolOf } from '../../connectors/registry.ts';
import type { WorkerSetup } from '../../connectors/sdk.ts';

/** Old generation cap per tag: about four times what an OPC UA monitored item was measured to keep (3 KB). */
const OLD_KB_PER_TAG = 16;
const MIN_OLD_MB = 512;
/** V8 counts a young generation as three semi-spaces (two, and the new large-object space). */
const SEMI_SPACES_PER_YOUNG_GENERATION = 3;

/** Node takes this flag only as `--max-semi-space-size=N`. */
const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size=(.*)$/;

/**
 * The semi-space size in MB node was started with (`--max-semi-space-size`, on its command line or in
 * NODE_OPTIONS, the command line last as node reads them); undefined without one, or with 0 (V8's own sizing).
 */
export function semiSpaceFlagMb(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): number | undefined {
  const args = [...nodeOptions.split(/\s+/).filter((arg) => arg !== ''), ...execArgv];
  let mb: number | undefined;
  for (const arg of args) {
    const value = Number(SEMI_SPACE_FLAG.exec(arg)?.[1] ?? Number.NaN);
    if (Number.isFinite(value)) mb = value > 0 ? value : undefined;
  }
  return mb;
}

/**
 * V8 applies a `--max-semi-space-size` given to node to every thread, over a Worker's resourceLimits; npm
 * start gives one for the main thread's young generation (README, "Memory"). Once the main thread has
 * its heap, this sets the flag back to V8's own sizing, so that each thread started afterwards gets its
 * resourceLimits (a connector: connectorHeapLimits). Call it before the first Worker.
 */
export function releaseSemiSpaceFlag(): void {
  if (semiSpaceFlagMb() !== undefined) setFlagsFromString('--max-semi-space-size=0');
}

/**
 * Heap limits of a connector thread. Its young generation is sized to its protocol (the descriptor's
 * semi-space; V8 would grow it to 16 MB, 34 MB of young generation), or to node's `--max-semi-space-size`
 * when that is smaller (start:lowmem's 1 MB). The old generation cap is
 * generous, and past it the thread is restarted, not the gateway. Below 2 GB it also makes V8 grow the
 * heap by smaller steps after each full collection (×1.4 rather than ×4): the OPC UA thread under
 * 58,000 changes/s went from 180 to 70 MB.
 * A `--max-old-space-size` given to node overrides the old generation cap.
 */
export function connectorHeapLimits(setup: WorkerSetup, semiSpaceFlag = semiSpaceFlagMb()): ResourceLimits {
  const tags = setup.devices.reduce((sum, device) => sum + device.tags.length, 0);
  const semiSpaceMb = Math.min(protocolOf(setup.protocol).semiSpaceMb, semiSpaceFlag ?? Number.POSITIVE_INFINITY);
  return {
    maxYoungGenerationSizeMb: SEMI_SPACES_PER_YOUNG_GENERATION * semiSpaceMb,
    maxOldGenerationSizeMb: Math.max(MIN_OLD_MB, Math.ceil((tags * OLD_KB_PER_TAG) / 1024)),
  };
}

/** Node flags but the semi-space size, which a connector's limits already account for. */
export function flagsButSemiSpace(execArgv: readonly string[]): string[] {
  return execArgv.filter((arg) => !SEMI_SPACE_FLAG.test(arg));
}

/** The same limits as node flags, for a connector in a child process. */
export function heapLimitFlags(limits: ResourceLimits): string[] {
  const flags: string[] = [];
  if (limits.maxYoungGenerationSizeMb !== undefined) {
    flags.push(`--max-semi-space-size=${Math.max(1, Math.round(limits.maxYoungGenerationSizeMb / SEMI_SPACES_PER_YOUNG_GENERATION))}`);
  }
  if (limits.maxOldGenerationSizeMb !== undefined) flags.push(`--max-old-space-size=${limits.maxOldGenerationSizeMb}`);
  return flags;
}
