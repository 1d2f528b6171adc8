import type { ByteOrder, ModbusDataType } from '../../schemas/modbus-layout.ts';
import { shortestFloat32 } from '../float32.ts';

/** What a register-backed tag needs to be decoded or encoded. */
export interface RegisterCodecSpec {
  dataType: ModbusDataType;
  byteOrder: ByteOrder;
  bit?: number | undefined;
  length?: number | undefined;
}

export type RegisterValue = number | bigint | boolean | string;

const WORD_SWAPPED: ReadonlySet<ByteOrder> = new Set(['CDAB', 'DCBA']);
const BYTE_SWAPPED: ReadonlySet<ByteOrder> = new Set(['BADC', 'DCBA']);

/**
 * Reorders register bytes between the wire and big-endian (ABCD…) order. The same operation goes
 * both ways: CDAB reverses the order of the 16-bit words, BADC swaps the bytes inside each word,
 * DCBA does both. For 64-bit values the word order of all four words is reversed.
 */
function reorder(bytes: Buffer, order: ByteOrder, swapWords = true): Buffer {
  const words = bytes.length / 2;
  const out = Buffer.allocUnsafe(bytes.length);
  const wordSwap = swapWords && WORD_SWAPPED.has(order);
  const byteSwap = BYTE_SWAPPED.has(order);
  for (let w = 0; w < words; w++) {
    const from = (wordSwap ? words - 1 - w : w) * 2;
    const hi = bytes[from] ?? 0;
    const lo = bytes[from + 1] ?? 0;
    out[w * 2] = byteSwap ? lo : hi;
    out[w * 2 + 1] = byteSwap ? hi : lo;
  }
  return out;
}

/** Decodes a tag from its registers as they came off the wire (2 bytes each, big-endian). */
export function decodeRegisters(raw: Buffer, spec: RegisterCodecSpec): RegisterValue {
  if (spec.dataType === 'bit') return ((raw.readUInt16BE(0) >> (spec.bit ?? 0)) & 1) === 1;
  if (spec.dataType === 'string') {
    const text = reorder(raw, spec.byteOrder, false).toString('latin1', 0, spec.length);
    const end = text.indexOf('\u0000');
    return end === -1 ? text : text.slice(0, end);
  }
  const b = reorder(raw, spec.byteOrder);
  switch (spec.dataType) {
    case 'int16':
      return b.readInt16BE(0);
    case 'uint16':
      return b.readUInt16BE(0);
    case 'int32':
      return b.readInt32BE(0);
    case 'uint32':
      return b.readUInt32BE(0);
    case 'float32':
      return shortestFloat32(b.readFloatBE(0));
    case 'float64':
      return b.readDoubleBE(0);
    case 'int64':
      return b.readBigInt64BE(0);
    case 'uint64':
      return b.readBigUInt64BE(0);
    case 'bool':
      return b.readUInt16BE(0) !== 0;
  }
}

const INTEGER_RANGES: Partial<Record<ModbusDataType, [bigint, bigint]>> = {
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** Thrown when a value cannot be represented in the tag's type; the message is shown to the user. */
export class EncodeError extends Error {}

function toInteger(value: RegisterValue, dataType: ModbusDataType): bigint {
  let integer: bigint;
  if (typeof value === 'bigint') integer = value;
  else if (typeof value === 'number' && Number.isFinite(value)) integer = BigInt(Math.round(value));
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) integer = BigInt(value);
  else throw new EncodeError(`${dataType} needs an integer, got ${JSON.stringify(String(value))}`);
  const range = INTEGER_RANGES[dataType];
  if (range && (integer < range[0] || integer > range[1])) {
    throw new EncodeError(`${integer} does not fit in ${dataType} (${range[0]} to ${range[1]})`);
  }
  return integer;
}

/** Encodes a raw (unscaled) value into register bytes in wire order. */
export function encodeRegisters(value: RegisterValue, spec: RegisterCodecSpec): Buffer {
  if (spec.dataType === 'string') {
    if (typeof value !== 'string') throw new EncodeError(`string tag needs a string, got ${typeof value}`);
    const length = spec.length ?? 0;
    if (value.length > length) throw new EncodeError(`"${value}" is longer than ${length} bytes`);
    const b = Buffer.alloc(Math.ceil(length / 2) * 2);
    b.write(value, 'latin1');
    return reorder(b, spec.byteOrder, false);
  }
  const b = Buffer.alloc(spec.dataType === 'float64' || spec.dataType.endsWith('64') ? 8 : spec.dataType.endsWith('32') ? 4 : 2);
  switch (spec.dataType) {
    case 'float32':
    case 'float64': {
      if (typeof value !== 'number') throw new EncodeError(`${spec.dataType} needs a number, got ${typeof value}`);
      if (spec.dataType === 'float32') b.writeFloatBE(value, 0);
      else b.writeDoubleBE(value, 0);
      break;
    }
    case 'int16':
      b.writeInt16BE(Number(toInteger(value, 'int16')), 0);
      break;
    case 'uint16':
      b.writeUInt16BE(Number(toInteger(value, 'uint16')), 0);
      break;
    case 'int32':
      b.writeInt32BE(Number(toInteger(value, 'int32')), 0);
      break;
    case 'uint32':
      b.writeUInt32BE(Number(toInteger(value, 'uint32')), 0);
      break;
    case 'int64':
      b.writeBigInt64BE(toInteger(value, 'int64'), 0);
      break;
    case 'uint64':
      b.writeBigUInt64BE(toInteger(value, 'uint64'), 0);
      break;
    case 'bool':
    case 'bit':
      throw new EncodeError(`${spec.dataType} is not written as registers`);
  }
  return reorder(b, spec.byteOrder);
}

/** Splits wire bytes into the 16-bit words FC 6/16 take. */
export function toWords(bytes: Buffer): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) words.push(bytes.readUInt16BE(i));
  return words;
}
