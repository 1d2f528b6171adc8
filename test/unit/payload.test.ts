import { describe, expect, it } from 'vitest';
import { valuePayloadSchema, type ValuePayload } from '../../schemas/payload.ts';
import { decodeValuePayload, encodeValuePayload, requalify } from '../../src/uns/payload.ts';

describe('value payload', () => {
  it.each<ValuePayload>([
    { value: 4.25, timestamp: 1764151200123, quality: 'good', unit: 'bar' },
    { value: null, timestamp: 1764151200123, quality: 'bad', status: 'UNS_ERR_MODBUS_TIMEOUT' },
    { value: 'running "A"', timestamp: 1, quality: 'uncertain', status: 'UncertainLastUsableValue', unit: '°C' },
    { value: [1, 2, 3], timestamp: 0, quality: 'good' },
    { value: [[1, 2, 3], [4, 5, 6]], timestamp: 0, quality: 'good' },
    { value: false, timestamp: 5, quality: 'good' },
  ])('encodes %j as JSON that the schema accepts, keys in contract order', (payload) => {
    const text = encodeValuePayload(payload);
    expect(JSON.parse(text)).toEqual(payload);
    expect(valuePayloadSchema.parse(JSON.parse(text))).toEqual(payload);
    expect(Object.keys(JSON.parse(text))).toEqual(
      ['value', 'timestamp', 'quality', 'status', 'unit'].filter((key) => key in payload),
    );
  });

  it('matches the design example byte for byte', () => {
    expect(encodeValuePayload({ value: 4.25, timestamp: 1764151200123, quality: 'good', unit: 'bar' })).toBe(
      '{"value":4.25,"timestamp":1764151200123,"quality":"good","unit":"bar"}',
    );
  });

  it('refuses a bad quality without status, a good one with status, and unknown keys', () => {
    const issues = (input: unknown) => valuePayloadSchema.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ value: null, timestamp: 1, quality: 'bad' })).toEqual(['status: quality "bad" needs a status code']);
    expect(issues({ value: 1, timestamp: 1, quality: 'good', status: 'x' })).toEqual(['status: a good value carries no status']);
    expect(issues({ value: 1, timestamp: 1, quality: 'good', extra: 1 })).toEqual([': Unrecognized key: "extra"']);
  });
});

describe('a retained payload read back', () => {
  it('decodes a 64-bit value past 2^53 with every digit, and other values as JSON', () => {
    expect(decodeValuePayload('{"value":9007199254740993,"timestamp":1,"quality":"good"}')).toEqual({ value: 9007199254740993n, timestamp: 1, quality: 'good' });
    expect(decodeValuePayload('{"value":-9223372036854775807,"timestamp":1,"quality":"good"}')?.value).toBe(-9223372036854775807n);
    expect(decodeValuePayload('{"value":4.25,"timestamp":1,"quality":"good","unit":"bar"}')).toEqual({ value: 4.25, timestamp: 1, quality: 'good', unit: 'bar' });
    expect(decodeValuePayload('{"value":1e300,"timestamp":1,"quality":"good"}')?.value).toBe(1e300);
  });

  it('changes quality and status, keeping the value, timestamp and unit byte for byte', () => {
    expect(requalify('{"value":9007199254740993,"timestamp":17,"quality":"good","unit":"kWh"}', 'uncertain', 'UNS_ERR_VALUE_STALE')).toBe(
      '{"value":9007199254740993,"timestamp":17,"quality":"uncertain","status":"UNS_ERR_VALUE_STALE","unit":"kWh"}',
    );
    expect(requalify('{"value":"a\\",\\"quality\\":\\"good","timestamp":1,"quality":"uncertain","status":"X"}', 'uncertain', 'Y')).toBe(
      '{"value":"a\\",\\"quality\\":\\"good","timestamp":1,"quality":"uncertain","status":"Y"}',
    );
  });

  it('leaves a payload not in the gateway\'s format alone', () => {
    expect(requalify('{"quality":"good","value":1,"timestamp":1}', 'uncertain', 'Y')).toBeUndefined();
    expect(requalify('not json', 'uncertain', 'Y')).toBeUndefined();
  });
});
