import { describe, expect, it } from 'vitest';
import { decodeRegisters, encodeRegisters, EncodeError, type RegisterCodecSpec } from '../../connectors/modbus/codec.ts';
import type { ByteOrder, ModbusDataType } from '../../schemas/modbus-layout.ts';

type Vector = [ModbusDataType, number | bigint | string, Record<ByteOrder, string>];

/** Wire bytes (hex, register after register) for each byte order. */
const VECTORS: Vector[] = [
  ['int16', -2, { ABCD: 'fffe', CDAB: 'fffe', BADC: 'feff', DCBA: 'feff' }],
  ['int16', -32768, { ABCD: '8000', CDAB: '8000', BADC: '0080', DCBA: '0080' }],
  ['uint16', 0x1234, { ABCD: '1234', CDAB: '1234', BADC: '3412', DCBA: '3412' }],
  ['uint16', 65535, { ABCD: 'ffff', CDAB: 'ffff', BADC: 'ffff', DCBA: 'ffff' }],
  ['int32', -123456789, { ABCD: 'f8a432eb', CDAB: '32ebf8a4', BADC: 'a4f8eb32', DCBA: 'eb32a4f8' }],
  ['uint32', 0xdeadbeef, { ABCD: 'deadbeef', CDAB: 'beefdead', BADC: 'addeefbe', DCBA: 'efbeadde' }],
  ['float32', -1.5, { ABCD: 'bfc00000', CDAB: '0000bfc0', BADC: 'c0bf0000', DCBA: '0000c0bf' }],
  ['float32', 4.25, { ABCD: '40880000', CDAB: '00004088', BADC: '88400000', DCBA: '00008840' }],
  ['float64', 123.456, { ABCD: '405edd2f1a9fbe77', CDAB: 'be771a9fdd2f405e', BADC: '5e402fdd9f1a77be', DCBA: '77be9f1a2fdd5e40' }],
  ['float64', -0.1, { ABCD: 'bfb999999999999a', CDAB: '999a99999999bfb9', BADC: 'b9bf999999999a99', DCBA: '9a9999999999b9bf' }],
  // Past 2^53: carried as bigint, exact.
  ['int64', -9007199254740993n, { ABCD: 'ffdfffffffffffff', CDAB: 'ffffffffffffffdf', BADC: 'dfffffffffffffff', DCBA: 'ffffffffffffdfff' }],
  ['uint64', 0x0102030405060708n, { ABCD: '0102030405060708', CDAB: '0708050603040102', BADC: '0201040306050807', DCBA: '0807060504030201' }],
  ['uint64', 18446744073709551615n, { ABCD: 'ffffffffffffffff', CDAB: 'ffffffffffffffff', BADC: 'ffffffffffffffff', DCBA: 'ffffffffffffffff' }],
  // Strings: bytes in order; BADC/DCBA swap the two bytes of each register; odd lengths pad with NUL.
  ['string', 'PUMP1', { ABCD: '50554d503100', CDAB: '50554d503100', BADC: '5550504d0031', DCBA: '5550504d0031' }],
  ['string', 'AB', { ABCD: '41420000', CDAB: '41420000', BADC: '42410000', DCBA: '42410000' }],
];

const ORDERS: ByteOrder[] = ['ABCD', 'BADC', 'CDAB', 'DCBA'];
const spec = (dataType: ModbusDataType, byteOrder: ByteOrder, value: unknown): RegisterCodecSpec => ({
  dataType,
  byteOrder,
  length: dataType === 'string' ? (value === 'AB' ? 3 : 5) : undefined,
});

describe('Modbus codec golden vectors', () => {
  for (const [dataType, value, wire] of VECTORS) {
    for (const order of ORDERS) {
      it(`${dataType} ${String(value)} ${order} ⇄ ${wire[order]}`, () => {
        const s = spec(dataType, order, value);
        expect(decodeRegisters(Buffer.from(wire[order], 'hex'), s)).toEqual(value);
        expect(encodeRegisters(value, s).toString('hex')).toBe(wire[order]);
      });
    }
  }

  // float32: the shortest decimal that reads back as the same float32, up to 9 significant digits.
  const FLOAT32: Array<[string, number, string]> = [
    ['4b800000', 16777216, '16777216'],
    ['4b3c614e', 12345678, '12345678'],
    ['3f800001', 1.0000001, '1.0000001'],
    ['bf800001', -1.0000001, '-1.0000001'],
    ['4120000b', 10.0000105, '10.0000105'],
    // 134217744 is 2^27 + 16; float32s are 16 apart there, and 134217740 is the shortest that reads back.
    ['4d000001', 134217740, '134217740'],
    ['3dcccccd', 0.1, '0.1'],
    ['3e99999a', 0.3, '0.3'],
    ['c3889333', -273.15, '-273.15'],
    ['7f7fffff', 3.4028235e38, '3.4028235e+38'],
    ['ff7fffff', -3.4028235e38, '-3.4028235e+38'],
    ['00800000', 1.1754944e-38, '1.1754944e-38'],
    ['00000001', 1e-45, '1e-45'],
    ['80000001', -1e-45, '-1e-45'],
    // Powers of two, where the float32 below is twice as close as the one above: the nearest 8 digits
    // (1.2621774e-29) read back as the float32 below, the next 8 digits up read back right.
    ['0f800000', 1.2621775e-29, '1.2621775e-29'],
    ['6b000000', 1.5474251e26, '1.5474251e+26'],
    ['00000000', 0, '0'],
  ];
  it.each(FLOAT32)('float32 %s reads as %s and is published as %s', (hex, value, json) => {
    const decoded = decodeRegisters(Buffer.from(hex, 'hex'), { dataType: 'float32', byteOrder: 'ABCD' });
    expect(decoded).toBe(value);
    expect(JSON.stringify({ value: decoded })).toBe(`{"value":${json}}`);
    expect(encodeRegisters(value, { dataType: 'float32', byteOrder: 'ABCD' }).toString('hex')).toBe(hex);
  });

  it('float32 -0 stays -0, and the same value reads the same in every byte order', () => {
    expect(Object.is(decodeRegisters(Buffer.from('80000000', 'hex'), { dataType: 'float32', byteOrder: 'ABCD' }), -0)).toBe(true);
    const wire = { ABCD: '4b3c614e', CDAB: '614e4b3c', BADC: '3c4b4e61', DCBA: '4e613c4b' };
    expect(ORDERS.map((order) => decodeRegisters(Buffer.from(wire[order], 'hex'), { dataType: 'float32', byteOrder: order }))).toEqual([12345678, 12345678, 12345678, 12345678]);
  });

  it.each(ORDERS)('decodes float32 and float64 NaN (%s)', (order) => {
    const nan32 = encodeRegisters(Number.NaN, { dataType: 'float32', byteOrder: order });
    expect(decodeRegisters(nan32, { dataType: 'float32', byteOrder: order })).toBeNaN();
    const nan64 = encodeRegisters(Number.NaN, { dataType: 'float64', byteOrder: order });
    expect(decodeRegisters(nan64, { dataType: 'float64', byteOrder: order })).toBeNaN();
  });

  it('reads a bit of a register, and stops a string at its first NUL', () => {
    const word = Buffer.from('8005', 'hex');
    expect([0, 1, 2, 15].map((bit) => decodeRegisters(word, { dataType: 'bit', byteOrder: 'ABCD', bit }))).toEqual([true, false, true, true]);
    expect(decodeRegisters(Buffer.from('4f4b000041410000', 'hex'), { dataType: 'string', byteOrder: 'ABCD', length: 8 })).toBe('OK');
  });

  it('refuses values that do not fit the type, with the range', () => {
    expect(() => encodeRegisters(70000, { dataType: 'uint16', byteOrder: 'ABCD' })).toThrow(new EncodeError('70000 does not fit in uint16 (0 to 65535)'));
    expect(() => encodeRegisters(-1, { dataType: 'uint32', byteOrder: 'ABCD' })).toThrow('does not fit in uint32');
    expect(() => encodeRegisters('12x', { dataType: 'int64', byteOrder: 'ABCD' })).toThrow('int64 needs an integer, got "12x"');
    expect(() => encodeRegisters('TOO LONG', { dataType: 'string', byteOrder: 'ABCD', length: 4 })).toThrow('longer than 4 bytes');
    expect(encodeRegisters('9223372036854775807', { dataType: 'int64', byteOrder: 'ABCD' }).toString('hex')).toBe('7fffffffffffffff');
    expect(encodeRegisters(12.6, { dataType: 'int16', byteOrder: 'ABCD' }).toString('hex')).toBe('000d');
  });
});
