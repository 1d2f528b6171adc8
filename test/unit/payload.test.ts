import { describe, expect, it } from 'vitest';
import { valuePayloadSchema, type ValuePayload } from '../../schemas/payload.ts';
import { encodeValuePayload } from '../../src/uns/payload.ts';

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
