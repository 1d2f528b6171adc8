import { DataType, type SparkplugDataType } from './datatypes.ts';

/**
 * The value a DCMD metric carries, as the write service takes it (a /set value): signed integers of 32 bits
 * and less come as two's complement in int_value, 64-bit ones as decimal strings in long_value (a number
 * when exact).
 */
export function commandValue(datatype: SparkplugDataType | undefined, metric: Record<string, unknown>): unknown {
  if ('booleanValue' in metric) return metric.booleanValue;
  if ('stringValue' in metric) return metric.stringValue;
  if ('floatValue' in metric) return metric.floatValue;
  if ('doubleValue' in metric) return metric.doubleValue;
  if ('intValue' in metric) {
    const raw = Number(metric.intValue);
    const signed = datatype === DataType.Int8 || datatype === DataType.Int16 || datatype === DataType.Int32;
    return signed ? raw | 0 : raw;
  }
  if ('longValue' in metric) {
    const raw = BigInt(String(metric.longValue));
    const value = datatype === DataType.Int64 ? BigInt.asIntN(64, raw) : raw;
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  return null;
}
