import type { SampleValue } from '../../connectors/sdk.ts';
import type { NamespaceTag } from '../uns/namespace.ts';

/** Sparkplug B metric datatypes (specification 3.0.0, "Data Types"), the ones the gateway sends. */
export const DataType = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
} as const;

export type SparkplugDataType = (typeof DataType)[keyof typeof DataType];

/** A Modbus data type as published: scaled values are doubles, whatever the register holds. */
const MODBUS_TYPES: Record<string, SparkplugDataType> = {
  bool: DataType.Boolean,
  bit: DataType.Boolean,
  int16: DataType.Int16,
  uint16: DataType.UInt16,
  int32: DataType.Int32,
  uint32: DataType.UInt32,
  int64: DataType.Int64,
  uint64: DataType.UInt64,
  float32: DataType.Float,
  float64: DataType.Double,
  string: DataType.String,
};

/** The datatype a tag's metric is born with: from its mapping, else from the value it first had. */
export function dataTypeOf(tag: NamespaceTag, value: SampleValue): SparkplugDataType {
  const config = tag.config as { dataType?: string; scale?: number; offset?: number };
  const scaled = (config.scale !== undefined && config.scale !== 1) || (config.offset !== undefined && config.offset !== 0);
  const mapped = config.dataType === undefined ? undefined : MODBUS_TYPES[config.dataType];
  if (mapped !== undefined) return scaled && mapped !== DataType.Boolean && mapped !== DataType.String ? DataType.Double : mapped;
  if (typeof value === 'boolean') return DataType.Boolean;
  if (typeof value === 'string') return DataType.String;
  if (typeof value === 'bigint') return value < 0n ? DataType.Int64 : DataType.UInt64;
  return DataType.Double;
}

/** The protobuf value field for a value of `type`: integers of 32 bits and less in int_value (two's complement), 64 in long_value. */
export function metricValue(type: SparkplugDataType, value: SampleValue): Record<string, unknown> {
  if (value === null || Array.isArray(value)) return { isNull: true };
  switch (type) {
    case DataType.Boolean:
      return { booleanValue: Boolean(value) };
    case DataType.String:
      return { stringValue: String(value) };
    case DataType.Float:
      return { floatValue: Number(value) };
    case DataType.Double:
      return { doubleValue: Number(value) };
    case DataType.Int64:
    case DataType.UInt64:
    case DataType.DateTime:
      return { longValue: BigInt.asUintN(64, BigInt(typeof value === 'number' ? Math.trunc(value) : (value as bigint))).toString() };
    default:
      return { intValue: Number(BigInt.asUintN(32, BigInt(typeof value === 'number' ? Math.trunc(value) : (value as bigint)))) };
  }
}
