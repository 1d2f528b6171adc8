import { z } from 'zod';
import { checkWriteBounds, deviceBase, tagBase } from './common.ts';
import { BYTE_ORDERS, MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, MODBUS_DATA_TYPES, registerCount } from './modbus-layout.ts';

export const modbusTagSchema = z.strictObject({
  ...tagBase,
  register: z.enum(['coil', 'discrete', 'input', 'holding']).describe('Modbus table the address is in'),
  address: z.number().int().min(0).max(65535).describe('0-based protocol address (register 40001 is holding address 0)'),
  dataType: z.enum(MODBUS_DATA_TYPES).describe('bool for coils and discrete inputs; bit for one bit of a register'),
  bit: z.number().int().min(0).max(15, { message: 'bit index above 15: a register has bits 0 to 15' }).optional(),
  length: z.number().int().min(1).max(250).optional().describe('string length in bytes'),
  byteOrder: z.enum(BYTE_ORDERS).default('ABCD').describe('ABCD big-endian, CDAB word-swapped, BADC byte-swapped, DCBA little-endian'),
  scale: z.number().default(1).describe('published = raw × scale + offset'),
  offset: z.number().default(0),
  pollGroup: z.string().min(1).default('default'),
  writeMultiple: z.boolean().default(false).describe('write with FC 15/16 even one coil or register (for devices without FC 5/6)'),
});

const tcpTransport = z.strictObject({
  type: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
});

const rtuOverTcpTransport = z.strictObject({
  type: z.literal('rtu-over-tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
});

const rtuTransport = z.strictObject({
  type: z.literal('rtu'),
  path: z.string().min(1).describe('serial device, for example /dev/ttyUSB0'),
  baudRate: z.number().int().positive().default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});

export const modbusTransportSchema = z.discriminatedUnion('type', [tcpTransport, rtuTransport, rtuOverTcpTransport]);

export const modbusDeviceSchema = z
  .strictObject({
    ...deviceBase,
    protocol: z.literal('modbus'),
    transport: modbusTransportSchema,
    unitId: z.number().int().min(0).max(255).default(1),
    timeoutMs: z.number().int().min(10).max(60_000).default(1000).describe('per request; never unbounded'),
    pollGroups: z
      .record(z.string().min(1), z.strictObject({ intervalMs: z.number().int().min(10) }))
      .default({ default: { intervalMs: 1000 } }),
    maxGapRegisters: z.number().int().min(0).max(124).default(10).describe('unused registers a block read may span to join two tags'),
    maxGapBits: z.number().int().min(0).max(1999).default(64),
    maxRegistersPerRead: z.number().int().min(1).max(MAX_REGISTERS_PER_READ).default(MAX_REGISTERS_PER_READ),
    maxBitsPerRead: z.number().int().min(1).max(MAX_BITS_PER_READ).default(MAX_BITS_PER_READ),
    reconnect: z
      .strictObject({ initialMs: z.number().int().min(10).default(500), maxMs: z.number().int().min(10).default(30_000) })
      .default({ initialMs: 500, maxMs: 30_000 }),
    tags: z.array(modbusTagSchema),
  })
  .superRefine((device, ctx) => {
    device.tags.forEach((tag, index) => {
      const path = ['tags', index];
      const bitTable = tag.register === 'coil' || tag.register === 'discrete';
      if (bitTable && tag.dataType !== 'bool') {
        ctx.addIssue({ code: 'custom', path: [...path, 'dataType'], message: `a ${tag.register} holds one bit: use dataType bool, not ${tag.dataType}` });
      }
      if (!bitTable && tag.dataType === 'bool') {
        ctx.addIssue({ code: 'custom', path: [...path, 'dataType'], message: `bool is for coils and discrete inputs; for one bit of a ${tag.register} register use dataType bit with bit: 0-15` });
      }
      if (tag.dataType === 'bit' && tag.bit === undefined) {
        ctx.addIssue({ code: 'custom', path: [...path, 'bit'], message: 'dataType bit needs the bit index (0-15)' });
      }
      if (tag.dataType !== 'bit' && tag.bit !== undefined) {
        ctx.addIssue({ code: 'custom', path: [...path, 'bit'], message: 'bit is only for dataType bit' });
      }
      if (tag.dataType === 'string' && tag.length === undefined) {
        ctx.addIssue({ code: 'custom', path: [...path, 'length'], message: 'dataType string needs a length in bytes' });
      }
      const last = tag.address + registerCount(tag.dataType, tag.length) - 1;
      if (last > 65535) {
        ctx.addIssue({ code: 'custom', path: [...path, 'address'], message: `${tag.dataType} at address ${tag.address} runs past address 65535` });
      }
      if (tag.writable && (tag.register === 'input' || tag.register === 'discrete')) {
        ctx.addIssue({ code: 'custom', path: [...path, 'writable'], message: `${tag.register === 'input' ? 'input registers' : 'discrete inputs'} are read-only in Modbus` });
      }
      if (tag.writable && tag.dataType === 'bit') {
        ctx.addIssue({
          code: 'custom',
          path: [...path, 'writable'],
          message: 'writing one bit of a register is a read-modify-write that can overwrite what the PLC changes meanwhile; map a coil instead',
        });
      }
      if (!(tag.pollGroup in device.pollGroups)) {
        ctx.addIssue({ code: 'custom', path: [...path, 'pollGroup'], message: `no poll group "${tag.pollGroup}" in this device (has: ${Object.keys(device.pollGroups).join(', ')})` });
      }
      checkWriteBounds(tag, path, ctx);
    });
  });

export type ModbusDeviceConfig = z.infer<typeof modbusDeviceSchema>;
export type ModbusTagConfig = z.infer<typeof modbusTagSchema>;
