import { describe, expect, it } from 'vitest';
import { decodePayload, int32FromUint32, int64FromUint64 } from '../helpers/sparkplug-decoder.ts';

// Every byte below is written by hand. A field key is one varint: (field number << 3) | wire type, with
// wire types 0 = varint, 1 = fixed64 (8 bytes little-endian), 2 = length-delimited, 5 = fixed32 (4 bytes LE).
// A varint holds 7 bits per byte, lowest group first; the top bit 0x80 says "another byte follows".
const bytes = (...parts: number[][]): Buffer => Buffer.from(parts.flat());

// Payload { timestamp: 1700000000123, metrics: [temp], seq: 3 }, in field order as protobufjs writes it.
const simple = bytes(
  // 0x08 = field 1 (timestamp) << 3 | wire 0. 1700000000123 = 0x18BCFE5687B; 7-bit groups from the lowest:
  // 0x7B 0x50 0x15 0x7F 0x3C 0x31, all but the last with 0x80 set.
  [0x08, 0xfb, 0xd0, 0x95, 0xff, 0xbc, 0x31],
  // 0x12 = field 2 (metrics) << 3 | wire 2; the Metric is 26 (0x1a) bytes long.
  [0x12, 0x1a],
  [0x0a, 0x04, 0x74, 0x65, 0x6d, 0x70], // 0x0a = field 1 (name), wire 2; length 4; "temp"
  [0x10, 0x07], // 0x10 = field 2 (alias), wire 0; 7
  [0x18, 0x80, 0xd0, 0x95, 0xff, 0xbc, 0x31], // 0x18 = field 3 (timestamp), wire 0; 1700000000000 (low group 0x00)
  [0x20, 0x0a], // 0x20 = field 4 (datatype), wire 0; 10 = Double
  // 0x69 = field 13 (double_value) << 3 | wire 1; 21.5 = 0x4035800000000000, little-endian.
  [0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x35, 0x40],
  [0x18, 0x03], // 0x18 = field 3 (seq), wire 0; 3
);

describe('Sparkplug B decoder', () => {
  it('reads a Payload with timestamp, one metric and seq', () => {
    expect(decodePayload(simple)).toEqual({
      timestamp: 1700000000123n,
      seq: 3n,
      metrics: [{ name: 'temp', alias: 7n, timestamp: 1700000000000n, datatype: 10, value: { kind: 'double', value: 21.5 } }],
    });
  });

  it('reads an empty buffer as a Payload with no fields, and uuid and body', () => {
    expect(decodePayload(Buffer.alloc(0))).toEqual({ metrics: [] });
    const payload = bytes(
      [0x22, 0x03, 0x61, 0x62, 0x63], // 0x22 = field 4 (uuid), wire 2; length 3; "abc"
      [0x2a, 0x02, 0xde, 0xad], // 0x2a = field 5 (body), wire 2; length 2; 0xde 0xad
    );
    expect(decodePayload(payload)).toEqual({ uuid: 'abc', body: Buffer.from([0xde, 0xad]), metrics: [] });
  });

  it('reads every member of the Metric value oneof, metrics kept in order', () => {
    const payload = bytes(
      // Each line: 0x12 (Payload field 2, wire 2), the Metric length, then one value field.
      // 0x50 = field 10 (int_value), wire 0; 0xFFFFFFFE = groups 0x7E 0x7F 0x7F 0x7F 0x0F.
      [0x12, 0x06, 0x50, 0xfe, 0xff, 0xff, 0xff, 0x0f],
      // 0x58 = field 11 (long_value), wire 0; 2^64-1 = nine 0x7F groups then 0x01.
      [0x12, 0x0b, 0x58, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
      [0x12, 0x05, 0x65, 0x00, 0x00, 0xc0, 0x3f], // 0x65 = field 12 (float_value), wire 5; 1.5 = 0x3FC00000 LE
      [0x12, 0x09, 0x69, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0], // 0x69 = field 13, wire 1; -2.5 = 0xC004000000000000 LE
      [0x12, 0x02, 0x70, 0x01], // 0x70 = field 14 (boolean_value), wire 0; true
      [0x12, 0x05, 0x7a, 0x03, 0x68, 0xc3, 0xa9], // 0x7a = field 15 (string_value), wire 2; length 3; "hé" in UTF-8
      // Field 16 (bytes_value), wire 2: key 130 = 0x82 0x01 (two varint bytes); length 2; 0x00 0xff.
      [0x12, 0x05, 0x82, 0x01, 0x02, 0x00, 0xff],
    );
    expect(decodePayload(payload).metrics.map((m) => m.value)).toEqual([
      { kind: 'int', value: 0xfffffffe },
      { kind: 'long', value: 2n ** 64n - 1n },
      { kind: 'float', value: 1.5 },
      { kind: 'double', value: -2.5 },
      { kind: 'boolean', value: true },
      { kind: 'string', value: 'hé' },
      { kind: 'bytes', value: Buffer.from([0x00, 0xff]) },
    ]);
  });

  it('reads the flags and a PropertySet of a metric', () => {
    const payload = bytes(
      [0x12, 0x2d], // Payload field 2 (metrics), wire 2; the Metric is 45 (0x2d) bytes
      [0x0a, 0x01, 0x70], // name "p"
      [0x20, 0x0c], // datatype 12 = String
      [0x28, 0x01], // 0x28 = field 5 (is_historical), wire 0; true
      [0x30, 0x01], // 0x30 = field 6 (is_transient), wire 0; true
      [0x38, 0x01], // 0x38 = field 7 (is_null), wire 0; true
      [0x4a, 0x20], // 0x4a = field 9 (properties), wire 2; the PropertySet is 32 (0x20) bytes
      [0x0a, 0x04, 0x75, 0x6e, 0x69, 0x74], // PropertySet field 1 (keys), wire 2; "unit"
      [0x0a, 0x02, 0x68, 0x69], // keys: "hi"
      [0x12, 0x07], // PropertySet field 2 (values), wire 2; a PropertyValue of 7 bytes
      [0x08, 0x0c], // PropertyValue field 1 (type), wire 0; 12 = String
      [0x42, 0x03, 0xc2, 0xb0, 0x43], // 0x42 = field 8 (string_value), wire 2; "°C" in UTF-8
      [0x12, 0x0b], // values: a PropertyValue of 11 bytes
      [0x08, 0x0a], // type 10 = Double
      [0x31, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f], // 0x31 = field 6 (double_value), wire 1; 0.1 LE
    );
    expect(decodePayload(payload).metrics).toEqual([
      {
        name: 'p', datatype: 12, isHistorical: true, isTransient: true, isNull: true,
        properties: {
          keys: ['unit', 'hi'],
          values: [{ type: 12, value: { kind: 'string', value: '°C' } }, { type: 10, value: { kind: 'double', value: 0.1 } }],
        },
      },
    ]);
  });

  it('reads every member of the PropertyValue value oneof, and is_null', () => {
    // Each case is one PropertyValue field; the wrapping bytes are Payload 0x12 <len>, Metric 0x4a <len>
    // (properties), PropertySet 0x12 <len> (values): the three lengths are the field's size plus 4, 2 and 0.
    const cases: [number[], unknown][] = [
      [[0x18, 0xfe, 0xff, 0xff, 0xff, 0x0f], { value: { kind: 'int', value: 0xfffffffe } }], // field 3, wire 0
      [[0x20, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], { value: { kind: 'long', value: 2n ** 53n + 1n } }], // field 4
      [[0x2d, 0x00, 0x00, 0x80, 0xbe], { value: { kind: 'float', value: -0.25 } }], // field 5, wire 5; 0xBE800000 LE
      [[0x31, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0], { value: { kind: 'double', value: -2.5 } }], // field 6, wire 1
      [[0x38, 0x00], { value: { kind: 'boolean', value: false } }], // field 7, wire 0
      [[0x42, 0x02, 0x68, 0x69], { value: { kind: 'string', value: 'hi' } }], // field 8, wire 2
      [[0x10, 0x01], { isNull: true }], // field 2 (is_null), wire 0
      [[0x4a, 0x00], {}], // field 9 (propertyset_value), wire 2, empty: skipped, not decoded
    ];
    for (const [field, expected] of cases) {
      const n = field.length;
      const payload = bytes([0x12, n + 4, 0x4a, n + 2, 0x12, n], field);
      expect(decodePayload(payload).metrics[0]?.properties?.values).toEqual([expected]);
    }
  });

  it('returns uint64 fields exactly, beyond 2^53', () => {
    // alias (0x10) = 2^53 + 1: groups 0x01, six 0x00, then 0x10 (2^53 = 2^(7*7) * 16).
    const payload = bytes([0x12, 0x09, 0x10, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(decodePayload(payload).metrics[0]?.alias).toBe(9007199254740993n);
  });

  it('skips unknown fields of every wire type and keeps reading after them', () => {
    const payload = bytes(
      [0x30, 0x2a], // Payload field 6, wire 0; 42
      [0x39, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08], // field 7, wire 1; 8 bytes
      [0x42, 0x03, 0x61, 0x62, 0x63], // field 8, wire 2; length 3
      [0xa0, 0x06, 0xac, 0x02], // key 800 = field 100, wire 0 (0xa0 0x06); 300 (0xac 0x02)
      [0x4d, 0x01, 0x02, 0x03, 0x04], // field 9, wire 5; 4 bytes
      [0x18, 0x05], // seq 5
      [0x12, 0x0a], // a Metric of 10 bytes
      [0x42, 0x02, 0x08, 0x01], // Metric field 8 (metadata), wire 2; 2 bytes: skipped
      [0x8a, 0x01, 0x00], // key 138 = field 17 (dataset_value), wire 2 (0x8a 0x01); length 0: skipped
      [0x0a, 0x01, 0x78], // name "x"
    );
    expect(decodePayload(payload)).toEqual({ seq: 5n, metrics: [{ name: 'x' }] });
  });

  it('rejects the group and reserved wire types', () => {
    // Keys for Payload field 6 with wire types 3 (start group), 4 (end group), 6 and 7 (unassigned).
    for (const key of [0x33, 0x34, 0x36, 0x37]) {
      expect(() => decodePayload(bytes([key, 0x00]))).toThrow(`Payload: unsupported wire type ${key & 7} for field 6 at byte 0`);
    }
  });

  it('throws on truncated input, saying where', () => {
    const cases: [number[], string][] = [
      [[0x82], 'Payload: truncated varint field key starting at byte 0: input ends at byte 1'],
      [[0x08, 0xfb, 0xd0], 'Payload: truncated varint timestamp (field 1, key at byte 0) starting at byte 1: input ends at byte 3'],
      [[0x12, 0x05, 0x0a, 0x01], 'Payload: truncated metrics (field 2, key at byte 0) (length at byte 1): needs 5 byte(s), 2 left'],
      // The Metric says 3 bytes; its name says 5: the name may not run into the rest of the Payload.
      [[0x12, 0x03, 0x0a, 0x05, 0x61, 0x18, 0x01], 'Payload.metrics[0]: truncated name (field 1, key at byte 2) (length at byte 3): needs 5 byte(s), 1 left'],
      [[0x12, 0x03, 0x65, 0x00, 0x00], 'Payload.metrics[0]: truncated float_value (field 12, key at byte 2) at byte 3: needs 4 byte(s), 2 left'],
      [[0x12, 0x05, 0x69, 0x00, 0x00, 0x00, 0x00], 'Payload.metrics[0]: truncated double_value (field 13, key at byte 2) at byte 3: needs 8 byte(s), 4 left'],
      [[0x39, 0x01], 'Payload: truncated unknown field 7 (key at byte 0) at byte 1: needs 8 byte(s), 1 left'],
    ];
    for (const [input, message] of cases) expect(() => decodePayload(bytes(input))).toThrow(message);
  });

  it('throws on every cut of a payload except at a field boundary of the Payload', () => {
    const boundaries = new Set([7, 35]); // after the timestamp (7 bytes), after the metric (7 + 2 + 26)
    for (let cut = 1; cut < simple.length; cut++) {
      const prefix = simple.subarray(0, cut);
      if (boundaries.has(cut)) expect(() => decodePayload(prefix)).not.toThrow();
      else expect(() => decodePayload(prefix), `cut at ${cut}`).toThrow(/truncated .*byte \d+/);
    }
  });

  it('rejects what protobufjs would never write for this schema', () => {
    const cases: [number[], string][] = [
      [[0x12, 0x02, 0x08, 0x01], 'Payload.metrics[0]: name (field 1) at byte 2 has wire type 0, expected 2'],
      [[0x12, 0x02, 0x28, 0x02], 'is 2, not 0 or 1'], // is_historical = 2
      [[0x12, 0x06, 0x20, 0x80, 0x80, 0x80, 0x80, 0x10], 'is 4294967296, above 2^32-1'], // datatype = 2^32
      [[0x12, 0x03, 0x0a, 0x01, 0xff], 'is not valid UTF-8'], // name = the byte 0xff
      [[0x12, 0x04, 0x50, 0x01, 0x70, 0x01], 'boolean_value (field 14, key at byte 4) is a second member of the value oneof (already int)'],
      [[0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02], 'exceeds 64 bits'], // 10th byte carries bit 64
      [[0x08, ...Array<number>(10).fill(0xff), 0x01], 'is longer than 10 bytes'],
      [[0x00, 0x00], 'Payload: field number 0 at byte 0'],
    ];
    for (const [input, message] of cases) expect(() => decodePayload(bytes(input))).toThrow(message);
  });
});

describe('signed Sparkplug integers', () => {
  it('reads Int8/16/32 from the two\'s complement uint32 of int_value', () => {
    expect([0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff].map(int32FromUint32)).toEqual([0, 1, 2147483647, -2147483648, -2, -1]);
    for (const bad of [-1, 2 ** 32, 1.5]) expect(() => int32FromUint32(bad)).toThrow(RangeError);
  });

  it('reads Int64 from the two\'s complement uint64 of long_value', () => {
    expect([0n, 5n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n].map(int64FromUint64)).toEqual([0n, 5n, 2n ** 63n - 1n, -(2n ** 63n), -1n]);
    for (const bad of [-1n, 2n ** 64n]) expect(() => int64FromUint64(bad)).toThrow(RangeError);
  });
});
