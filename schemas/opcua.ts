import { z } from 'zod';
import { checkWriteBounds, deviceBase, tagBase } from './common.ts';

export const opcuaTagSchema = z.strictObject({
  ...tagBase,
  nodeId: z.string().min(1).describe('node id such as ns=3;s=Pump.Speed'),
});

export const opcuaDeviceSchema = z
  .strictObject({
    ...deviceBase,
    protocol: z.literal('opcua'),
    endpoint: z.string().startsWith('opc.tcp://'),
    tags: z.array(opcuaTagSchema),
  })
  .superRefine((device, ctx) => device.tags.forEach((tag, index) => checkWriteBounds(tag, ['tags', index], ctx)));

export type OpcuaDeviceConfig = z.infer<typeof opcuaDeviceSchema>;
