import type { ResourceLimits } from 'node:worker_threads';
import { protocolOf } from '../../connectors/registry.ts';
import type { WorkerSetup } from '../../connectors/sdk.ts';

/** Old generation cap per tag: about four times what an OPC UA monitored item was measured to keep (3 KB). */
const OLD_KB_PER_TAG = 16;
const MIN_OLD_MB = 512;
/** V8 counts a young generation as three semi-spaces (two, and the new large-object space). */
const SEMI_SPACES_PER_YOUNG_GENERATION = 3;

/**
 * Heap limits of a connector thread. Its young generation is sized to its protocol (the descriptor's
 * semi-space; V8 would grow it to 16 MB, 34 MB of young generation). The old generation cap is
 * generous, and past it the thread is restarted, not the gateway. Below 2 GB it also makes V8 grow the
 * heap by smaller steps after each full collection (×1.4 rather than ×4): the OPC UA thread under
 * 58,000 changes/s went from 180 to 70 MB.
 * A `--max-semi-space-size` or `--max-old-space-size` given to node overrides these.
 */
export function connectorHeapLimits(setup: WorkerSetup): ResourceLimits {
  const tags = setup.devices.reduce((sum, device) => sum + device.tags.length, 0);
  return {
    maxYoungGenerationSizeMb: SEMI_SPACES_PER_YOUNG_GENERATION * protocolOf(setup.protocol).semiSpaceMb,
    maxOldGenerationSizeMb: Math.max(MIN_OLD_MB, Math.ceil((tags * OLD_KB_PER_TAG) / 1024)),
  };
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
