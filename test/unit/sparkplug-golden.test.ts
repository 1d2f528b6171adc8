import { describe, expect, it } from 'vitest';
import type { TagConfig } from '../../schemas/mapping.ts';
import { encodePayload } from '../../src/sparkplug/codec.ts';
import { DataType } from '../../src/sparkplug/datatypes.ts';
import { dataMetric, type MetricDefinition } from '../../src/sparkplug/metrics.ts';
import type { NamespaceTag } from '../../src/uns/namespace.ts';

/** 2025-12-01T00:00:00Z in ms, as a protobuf varint: 80 88 d6 b9 ad 33. */
const T = 1_764_547_200_000;
const T_VARINT = '8088d6b9ad33';

const hex = (...parts: string[]) => parts.join('').replaceAll(' ', '');

function definition(alias: number, datatype: number): MetricDefinition {
  const tag = { id: `d/t${alias}`, device: 'd', protocol: 'modbus', topic: `s/a/b/t${alias}`, qos: 1, config: {} as TagConfig } as NamespaceTag;
  return { tag, name: tag.topic, alias, datatype: datatype as MetricDefinition['datatype'] };
}

describe('Sparkplug B payloads, byte for byte', () => {
  it('NBIRTH: timestamp, the bdSeq metric (Int64), the Rebirth metric (Boolean false), seq 0', () => {
    const bytes = encodePayload({
      timestamp: T,
      seq: 0,
      metrics: [
        { name: 'bdSeq', datatype: DataType.Int64, longValue: '3' },
        { name: 'Node Control/Rebirth', datatype: DataType.Boolean, booleanValue: false },
      ],
    });
    expect(bytes.toString('hex')).toBe(
      hex(
        '08', T_VARINT, //                      field 1 timestamp (varint)
        '12 0b', //                             field 2 metrics, 11 bytes:
        '0a 05 6264536571', //                    name "bdSeq"
        '20 04', //                               datatype 4 (Int64)
        '58 03', //                               field 11 long_value 3
        '12 1a', //                             field 2 metrics, 26 bytes:
        '0a 14 4e6f646520436f6e74726f6c2f52656269727468', // name "Node Control/Rebirth"
        '20 0b', //                               datatype 11 (Boolean)
        '70 00', //                               field 14 boolean_value false
        '18 00', //                             field 3 seq 0
      ),
    );
  });

  it('DDATA by alias: an Int16 of -20 as two\'s complement, a Double that is uncertain with its Quality, seq 7', () => {
    const bytes = encodePayload({
      timestamp: T,
      seq: 7,
      metrics: [
        dataMetric(definition(2, DataType.Int16), { tagId: 'd/t2', value: -20, quality: 'good', timestamp: T }),
        dataMetric(definition(3, DataType.Double), { tagId: 'd/t3', value: 4.25, quality: 'uncertain', timestamp: T }),
      ],
    });
    expect(bytes.toString('hex')).toBe(
      hex(
        '08', T_VARINT, //                      field 1 timestamp
        '12 0f', //                             field 2 metrics, 15 bytes:
        '10 02', //                               field 2 alias 2 (no name: aliases only)
        '18', T_VARINT, //                        field 3 timestamp
        '50 ecffffff0f', //                       field 10 int_value 4294967276 = -20 as 32-bit two's complement
        '12 23', //                             field 2 metrics, 35 bytes:
        '10 03', //                               alias 3
        '18', T_VARINT, //                        timestamp
        '4a 0f', //                               field 9 properties, 15 bytes:
        '0a 07 5175616c697479', //                  keys: "Quality"
        '12 04 0803 1840', //                       values: { type 3 (Int32), int_value 64 (OPC uncertain) }
        '69 0000000000001140', //                 field 13 double_value 4.25 (fixed64, little-endian)
        '18 07', //                             field 3 seq 7
      ),
    );
  });
});
