import { DataType, Variant, VariantArrayType } from 'node-opcua';
import { ErrorCodes } from '../../shared/errors.ts';
import { ConnectorError } from '../errors.ts';

const INTEGER_RANGES: Partial<Record<DataType, [number, number]>> = {
  [DataType.SByte]: [-128, 127],
  [DataType.Byte]: [0, 255],
  [DataType.Int16]: [-32768, 32767],
  [DataType.UInt16]: [0, 65535],
  [DataType.Int32]: [-2147483648, 2147483647],
  [DataType.UInt32]: [0, 4294967295],
};

function invalid(message: string): ConnectorError {
  return new ConnectorError(ErrorCodes.WRITE_INVALID, message);
}

function toInt64Words(value: number | bigint | string, signed: boolean): [number, number] {
  let big: bigint;
  try {
    big = typeof value === 'bigint' ? value : BigInt(typeof value === 'number' ? Math.trunc(value) : value);
  } catch {
    throw invalid(`${signed ? 'Int64' : 'UInt64'} needs an integer, got ${JSON.stringify(String(value))}`);
  }
  const [min, max] = signed ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
  if (big < min || big > max) throw invalid(`${big} does not fit in ${signed ? 'Int64' : 'UInt64'}`);
  const unsigned = BigInt.asUintN(64, big);
  return [Number(unsigned >> 32n), Number(unsigned & 0xffffffffn)];
}

/** Coerces a checked setpoint to the node's DataType; refuses what would not fit, before any write. */
export function toVariant(dataType: DataType, value: number | bigint | boolean | string): Variant {
  const name = DataType[dataType] ?? `DataType ${dataType}`;
  switch (dataType) {
    case DataType.Boolean:
      if (typeof value !== 'boolean') throw invalid(`${name} takes true or false`);
      return new Variant({ dataType, value });
    case DataType.String:
    case DataType.LocalizedText:
      if (typeof value !== 'string') throw invalid(`${name} takes a string`);
      return new Variant({ dataType, value: dataType === DataType.String ? value : { text: value } });
    case DataType.Float:
    case DataType.Double:
      if (typeof value !== 'number') throw invalid(`${name} takes a number`);
      return new Variant({ dataType, value });
    case DataType.Int64:
    case DataType.UInt64:
      if (typeof value === 'boolean') throw invalid(`${name} takes an integer`);
      return new Variant({ dataType, arrayType: VariantArrayType.Scalar, value: toInt64Words(value, dataType === DataType.Int64) });
    case DataType.DateTime: {
      const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
      if (Number.isNaN(date.getTime())) throw invalid(`${name} takes an ISO 8601 date string`);
      return new Variant({ dataType, value: date });
    }
    default: {
      const range = INTEGER_RANGES[dataType];
      if (!range) throw invalid(`writing ${name} values is not supported`);
      const number = typeof value === 'bigint' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isInteger(number)) throw invalid(`${name} takes an integer, got ${JSON.stringify(String(value))}`);
      if (number < range[0] || number > range[1]) throw invalid(`${number} does not fit in ${name} (${range[0]} to ${range[1]})`);
      return new Variant({ dataType, value: number });
    }
  }
}
