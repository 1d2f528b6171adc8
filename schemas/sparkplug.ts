import { z } from 'zod';
import { topicLevel } from './topic-level.ts';

const SPARKPLUG_DEFAULTS = { enabled: false, groupId: 'uns', maxHeldMessages: 1_000_000 } as const;

/** Sparkplug B output from the same tag mapping, on the embedded broker. */
export const sparkplugSchema = z
  .strictObject({
    enabled: z.boolean().default(SPARKPLUG_DEFAULTS.enabled),
    groupId: topicLevel.default(SPARKPLUG_DEFAULTS.groupId).describe('the Sparkplug group id: spBv1.0/<groupId>/…'),
    edgeNodeId: topicLevel.optional().describe('the edge node id (default: the gateway id)'),
    primaryHostId: topicLevel
      .optional()
      .describe('the primary host application to watch on spBv1.0/STATE/<id>: while it is offline, data is held in the store, and sent marked historical after a fresh birth when it is back'),
    maxHeldMessages: z.number().int().min(1).default(1_000_000).describe('batches of values held while the primary host is offline; the oldest go first beyond it'),
  })
  .default(SPARKPLUG_DEFAULTS)
  .describe('Sparkplug B 3.0 for SCADA hosts (Ignition MQTT Engine and others): one device per mapped device, metrics named after the tag paths');
