import { z } from 'zod';

export const qualitySchema = z.enum(['good', 'uncertain', 'bad']);

type PayloadValue = number | string | boolean | null | PayloadValue[];

/** A scalar, an array, or arrays nested one level per dimension (an OPC UA matrix). */
const payloadValue: z.ZodType<PayloadValue> = z
  .union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.lazy(() => payloadValue))])
  .meta({ id: 'PayloadValue' });

/** What a tag's retained topic carries. */
export const valuePayloadSchema = z
  .strictObject({
    value: payloadValue.describe('null when there has never been a good value'),
    timestamp: z.number().int().nonnegative().describe('epoch milliseconds: source time when the device gives one'),
    quality: qualitySchema,
    status: z.string().min(1).optional().describe('status code, present when quality is not good'),
    unit: z.string().optional(),
  })
  .superRefine((payload, ctx) => {
    if (payload.quality !== 'good' && payload.status === undefined) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: `quality "${payload.quality}" needs a status code` });
    }
    if (payload.quality === 'good' && payload.status !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['status'], message: 'a good value carries no status' });
    }
  })
  .describe('UNS tag value payload');

export type Quality = z.infer<typeof qualitySchema>;
export type ValuePayload = z.infer<typeof valuePayloadSchema>;
