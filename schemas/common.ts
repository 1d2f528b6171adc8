import { z } from 'zod';
import { topicLevel, topicPath } from './topic-level.ts';

const qosSchema = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** The ISA-95 levels a device gives its tags; a tag may override each one. */
export const placement = {
  site: topicLevel.optional(),
  area: topicLevel.optional(),
  asset: topicLevel.optional(),
};

const deadbandSchema = z
  .union([
    z.strictObject({ absolute: z.number().nonnegative().describe('publish when the value moves by more than this') }),
    z.strictObject({ percent: z.number().nonnegative().max(100).describe('publish when the value moves by more than this % of the last published value') }),
  ])
  .describe('report-by-exception threshold; without it every change is published');

/** Fields every tag has, whatever its protocol. */
export const tagBase = {
  name: topicPath.describe('last topic level(s) of the tag, for example "temperature" or "motor/temperature"'),
  ...placement,
  unit: z.string().min(1).max(32).optional().describe('engineering unit, copied into every payload'),
  qos: qosSchema.optional().describe("QoS of this tag's value publishes (default: namespace.qos)"),
  description: z.string().optional(),
  deadband: deadbandSchema.optional(),
  heartbeatS: z.number().positive().optional().describe('republish an unchanged value this often (default: the device\'s)'),
  writable: z.boolean().default(false).describe('accept setpoints on <topic>/set'),
  min: z.number().optional().describe('lowest value a write may set'),
  max: z.number().optional().describe('highest value a write may set'),
};

/** Fields every device has. */
export const deviceBase = {
  name: topicLevel.describe('device name, unique across all mapping files'),
  ...placement,
  description: z.string().optional(),
  heartbeatS: z.number().positive().optional().describe('republish unchanged values this often (default: off)'),
};

interface Bounds {
  min?: number | undefined;
  max?: number | undefined;
  writable: boolean;
}

/** The cross-field rule every tag shares: min ≤ max, and bounds only mean something on writable tags. */
export function checkWriteBounds(tag: Bounds, path: (string | number)[], ctx: z.RefinementCtx): void {
  if (tag.min !== undefined && tag.max !== undefined && tag.min > tag.max) {
    ctx.addIssue({ code: 'custom', path: [...path, 'min'], message: `min ${tag.min} is above max ${tag.max}` });
  }
  if (!tag.writable && (tag.min !== undefined || tag.max !== undefined)) {
    ctx.addIssue({ code: 'custom', path: [...path, tag.min !== undefined ? 'min' : 'max'], message: 'min/max limit writes: set writable: true' });
  }
}
