import { DataType, VariantArrayType, type DataValue, type StatusCode, type Variant } from 'node-opcua';
import { ErrorCodes } from '../../shared/errors.ts';
import { shortestFloat32 } from '../float32.ts';
import type { Quality, Sample, SampleValue, ScalarValue } from '../sdk.ts';

/** Good, uncertain or bad, from the severity bits of a StatusCode [OPC 10000-4 7.39]. */
function qualityOf(status: StatusCode): Quality {
  const severity = status.value >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

/** node-opcua carries Int64/UInt64 as [high, low] 32-bit words. */
function int64(value: unknown, signed: boolean): ScalarValue {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (Array.isArray(value) && value.length === 2) big = (BigInt(Number(value[0]) >>> 0) << 32n) | BigInt(Number(value[1]) >>> 0);
  else return typeof value === 'number' ? value : null;
  if (signed) big = BigInt.asIntN(64, big);
  return Number.isSafeInteger(Number(big)) ? Number(big) : big;
}

function scalar(dataType: DataType, value: unknown): ScalarValue {
  if (value === null || value === undefined) return null;
  switch (dataType) {
    case DataType.Int64:
      return int64(value, true);
    case DataType.UInt64:
      return int64(value, false);
    case DataType.Float:
      return typeof value === 'number' ? shortestFloat32(value) : null;
    case DataType.DateTime:
      return value instanceof Date ? value.toISOString() : String(value);
    case DataType.ByteString:
      return Buffer.isBuffer(value) ? value.toString('base64') : String(value);
    case DataType.LocalizedText:
      return (value as { text?: string | null }).text ?? null;
    case DataType.QualifiedName:
      return (value as { name?: string | null }).name ?? null;
    case DataType.StatusCode:
      return (value as StatusCode).name;
    case DataType.Boolean:
      return Boolean(value);
    default:
      if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
      // NodeId, Guid, ExtensionObject and the like: their text form.
      return typeof (value as { toString?: () => string }).toString === 'function' ? String(value) : JSON.stringify(value);
  }
}

/**
 * Row-major elements as arrays nested one level per dimension [OPC 10000-6 5.2.2.16: the last index
 * varies fastest]. Dimensions that do not account for every element leave the elements flat.
 */
function nest(items: SampleValue[], dimensions: readonly number[]): SampleValue[] {
  if (dimensions.length < 2 || dimensions.reduce((product, size) => product * size, 1) !== items.length) return items;
  const [rows = 0, ...inner] = dimensions;
  const size = items.length / rows;
  return Array.from({ length: rows }, (_, row) => nest(items.slice(row * size, (row + 1) * size), inner));
}

/**
 * An OPC UA Variant as JSON: numbers, booleans, strings; Float as the shortest decimal that reads back
 * as the same float32; DateTime as an ISO string; ByteString as base64; Int64/UInt64 as numbers, kept
 * exact (bigint) past 2^53; arrays (and typed arrays) as arrays, a Matrix as nested arrays; other
 * types as text.
 */
function jsonOf(variant: Variant): SampleValue {
  const { dataType, value, arrayType } = variant;
  // A ByteString scalar is a Buffer, which is also a typed array.
  if (arrayType === VariantArrayType.Scalar && (dataType === DataType.ByteString || dataType === DataType.Int64 || dataType === DataType.UInt64)) {
    return scalar(dataType, value);
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>, (item) => scalar(dataType, item));
    return arrayType === VariantArrayType.Matrix ? nest(items, variant.dimensions ?? []) : items;
  }
  return scalar(dataType, value);
}

export interface DecodedValue {
  value: SampleValue;
  quality: Quality;
  status?: string;
  timestamp: number;
}

/** A DataValue as a sample: the source timestamp when the server gives one. */
export function decodeDataValue(dataValue: DataValue): DecodedValue {
  const quality = qualityOf(dataValue.statusCode);
  const timestamp = (dataValue.sourceTimestamp ?? dataValue.serverTimestamp)?.getTime() ?? Date.now();
  const value = jsonOf(dataValue.value);
  const finite = typeof value !== 'number' || Number.isFinite(value);
  if (quality === 'good' && finite) return { value, quality, timestamp };
  if (!finite) return { value: null, quality: 'bad', status: ErrorCodes.VALUE_NOT_FINITE, timestamp };
  return { value: quality === 'bad' ? null : value, quality, status: dataValue.statusCode.name, timestamp };
}

/**
 * A data change notification as the sample of tag `tagId` (with `unit` when the tag has one), built
 * in one object: one per value received, so no intermediate object to spread.
 */
export function sampleOf(tagId: string, dataValue: DataValue, unit: string | undefined): Sample {
  const { value, quality, status, timestamp } = decodeDataValue(dataValue);
  const sample: Sample = status === undefined ? { tagId, value, quality, timestamp } : { tagId, value, quality, status, timestamp };
  if (unit !== undefined) sample.unit = unit;
  return sample;
}
