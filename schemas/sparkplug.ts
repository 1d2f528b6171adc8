import { z } from 'zod';
import { topicLevel } from './topic-level.ts';

const SPARKPLUG_DEFAULTS = { enabled: false, groupId: 'uns' } as const;

/** Sparkplug B output from the same tag mapping, on the embedded broker. */
export const sparkplugSchema = z
  .strictObject({
    enabled: z.boolean().default(SPARKPLUG_DEFAULTS.enabled),
    groupId: topicLevel.default(SPARKPLUG_DEFAULTS.groupId).describe('the Sparkplug group id: spBv1.0/<groupId>/…'),
    edgeNodeId: topicLevel.optional().describe('the edge node id (default: the gateway id)'),
  })
  .default(SPARKPLUG_DEFAULTS)
  .describe('Sparkplug B 3.0 for SCADA hosts (Ignition MQTT Engine and others): one device per mapped device, metrics named after the tag paths');

export type SparkplugConfig = z.infer<typeof sparkplugSchema>;
