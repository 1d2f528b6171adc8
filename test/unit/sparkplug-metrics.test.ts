import { describe, expect, it } from 'vitest';
import type { TagConfig } from '../../schemas/mapping.ts';
import { DataType } from '../../src/sparkplug/datatypes.ts';
import { commandValue } from '../../src/sparkplug/command-value.ts';
import { birthMetric, learnDataType, type MetricDefinition } from '../../src/sparkplug/metrics.ts';
import type { NamespaceTag } from '../../src/uns/namespace.ts';

const opcuaTag = (config: Partial<TagConfig> = {}) =>
  ({ id: 'oven/running', device: 'oven', protocol: 'opcua', topic: 'p/a/b/running', qos: 1, config: { name: 'running', ...config } as TagConfig }) as NamespaceTag;

describe('Sparkplug metric datatypes', () => {
  it('births an OPC UA metric null until its first value, then knows its type and asks for a new birth when it differs', () => {
    const definition: MetricDefinition = { tag: opcuaTag(), name: 'p/a/b/running', alias: 1, datatype: undefined };
    expect(birthMetric(definition, undefined)).toMatchObject({ datatype: DataType.Double, isNull: true });
    expect(definition.datatype).toBeUndefined();
    expect(learnDataType(definition, { tagId: 'oven/running', value: null, quality: 'bad', timestamp: 1 })).toBe(false);
    expect(learnDataType(definition, { tagId: 'oven/running', value: true, quality: 'good', timestamp: 2 })).toBe(true);
    expect(birthMetric(definition, { tagId: 'oven/running', value: true, quality: 'good', timestamp: 2 })).toMatchObject({ datatype: DataType.Boolean, booleanValue: true });
    expect(learnDataType(definition, { tagId: 'oven/running', value: 5, quality: 'good', timestamp: 3 })).toBe(false);
  });

  it('reads DCMD values as the write service takes them: signed ints from two\'s complement, 64-bit exact', () => {
    expect(commandValue(DataType.Int16, { intValue: 4294967276 })).toBe(-20);
    expect(commandValue(DataType.UInt32, { intValue: 4294967276 })).toBe(4294967276);
    expect(commandValue(DataType.Int64, { longValue: '18446744073709551611' })).toBe(-5);
    expect(commandValue(DataType.UInt64, { longValue: '18446744073709551611' })).toBe('18446744073709551611');
    expect(commandValue(DataType.Boolean, { booleanValue: false })).toBe(false);
  });
});
