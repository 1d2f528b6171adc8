import { z } from 'zod';
import { topicLevel } from './topic-level.ts';

const SPARKPLUG_DEFAULTS = { enabled: false, groupId: 'uns', embedded: true, maxHeldMessages: 1_000_000 } as const;

/** Sparkplug B output from the same tag mapping, on the embedded broker and/or bridge upstreams. */
export const sparkplugSchema = z
  .strictObject({
    enabled: z.boolean().default(SPARKPLUG_DEFAULTS.enabled),
    groupId: topicLevel.default(SPARKPLUG_DEFAULTS.groupId).describe('the Sparkplug group id: spBv1.0/<groupId>/…'),
    edgeNodeId: topicLevel.optional().describe('the edge node id (default: the gateway id)'),
    embedded: z.boolean().default(SPARKPLUG_DEFAULTS.embedded).describe('publish on the embedded broker'),
    bridges: z
      .array(z.string().min(1))
      .default([])
      .describe('also publish on these bridges\' upstream brokers, each as its own MQTT session whose will is the NDEATH; while one is unreachable, data waits in the store (within that bridge\'s outbox bounds) and is sent marked historical after a fresh birth'),
    primaryHostId: topicLevel
      .optional()
      .describe('the primary host application to watch on spBv1.0/STATE/<id> of each broker published to: while it is offline, data is held in the store, and sent marked historical after a fresh birth when it is back'),
    maxHeldMessages: z.number().int().min(1).default(SPARKPLUG_DEFAULTS.maxHeldMessages).describe('batches of values held on the embedded broker while the primary host is offline; the oldest go first beyond it'),
  })
  .default(() => ({ ...SPARKPLUG_DEFAULTS, bridges: [] }))
  .describe('Sparkplug B 3.0 for SCADA hosts (Ignition MQTT Engine and others): one device per mapped device, metrics named after the tag paths');
