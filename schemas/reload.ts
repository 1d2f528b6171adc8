import { z } from 'zod';

const RELOAD_DEFAULTS = { watch: true, debounceMs: 500, removedTags: 'clear' } as const;

/** How a changed configuration is taken while the gateway runs. */
export const reloadSchema = z
  .strictObject({
    watch: z.boolean().default(RELOAD_DEFAULTS.watch).describe('reload when gateway.yaml or a mapping file changes (SIGHUP and `uns-gateway reload` reload always)'),
    debounceMs: z
      .number()
      .int()
      .min(50)
      .max(60_000)
      .default(RELOAD_DEFAULTS.debounceMs)
      .describe('wait this long after the last change to the files before reloading: editors and copies write a file in several steps'),
    removedTags: z
      .enum(['clear', 'bad'])
      .default(RELOAD_DEFAULTS.removedTags)
      .describe('what a removed tag leaves on its topic: clear (the retained value is deleted) or bad (the last value stays, quality bad, status UNS_ERR_TAG_REMOVED)'),
  })
  .default(RELOAD_DEFAULTS)
  .describe('hot reload: only mapping changes are applied live (a changed device restarts its connection, the others keep theirs); other changes need a restart and are not applied');

export type ReloadConfig = z.infer<typeof reloadSchema>;
