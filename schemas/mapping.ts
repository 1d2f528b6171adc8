import { z } from 'zod';
import { topicLevel, topicPath } from './topic-level.ts';

const qos = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/** The ISA-95 levels a device gives its tags; a tag may override each one. */
const placement = {
  site: topicLevel.optional(),
  area: topicLevel.optional(),
  asset: topicLevel.optional(),
};

const tagBase = {
  name: topicPath.describe('last topic level(s) of the tag, for example "temperature" or "motor/temperature"'),
  ...placement,
  unit: z.string().min(1).max(32).optional().describe('engineering unit, copied into every payload'),
  qos: qos.optional().describe('QoS of this tag\'s value publishes (default: namespace.qos)'),
  description: z.string().optional(),
};

const deviceBase = {
  name: topicLevel.describe('device name, unique across all mapping files'),
  ...placement,
  description: z.string().optional(),
};

export const modbusTagSchema = z.strictObject({
  ...tagBase,
  register: z.enum(['coil', 'discrete', 'input', 'holding']).describe('Modbus table the address is in'),
  address: z.number().int().min(0).max(65535),
  dataType: z.enum(['bool', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64', 'string']),
});

export const modbusDeviceSchema = z.strictObject({
  ...deviceBase,
  protocol: z.literal('modbus'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  unitId: z.number().int().min(0).max(255).default(1),
  tags: z.array(modbusTagSchema),
});

export const opcuaTagSchema = z.strictObject({
  ...tagBase,
  nodeId: z.string().min(1).describe('node id such as ns=3;s=Pump.Speed'),
});

export const opcuaDeviceSchema = z.strictObject({
  ...deviceBase,
  protocol: z.literal('opcua'),
  endpoint: z.string().startsWith('opc.tcp://'),
  tags: z.array(opcuaTagSchema),
});

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
