import { z } from 'zod';
import { modbusDeviceSchema } from './modbus.ts';
import { opcuaDeviceSchema } from './opcua.ts';

/**
 * A device of any protocol: one schema per protocol, in schemas/<protocol>.ts, kept out of connectors/
 * so that no worker loads zod. connectors/registry.ts names a descriptor for each; tsc fails while the
 * two lists differ.
 */
export const deviceSchema = z.discriminatedUnion('protocol', [modbusDeviceSchema, opcuaDeviceSchema]);

export const mappingFileSchema = z
  .strictObject({ devices: z.array(deviceSchema).default([]) })
  .superRefine((file, ctx) => {
    file.devices.forEach((device, d) => {
      device.tags.forEach((tag, t) => {
        for (const level of ['site', 'area', 'asset'] as const) {
          if (tag[level] === undefined && device[level] === undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['devices', d, 'tags', t],
              message: `tag "${tag.name}" has no ${level}: set it on the tag or on device "${device.name}"`,
            });
          }
        }
      });
    });
  })
  .describe('UNS gateway tag mapping: devices and their tags');

export type MappingFile = z.infer<typeof mappingFileSchema>;
export type DeviceConfig = z.infer<typeof deviceSchema>;
export type TagConfig = DeviceConfig['tags'][number];
