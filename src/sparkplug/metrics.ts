import type { Sample } from '../../connectors/sdk.ts';
import type { NamespaceTag } from '../uns/namespace.ts';
import type { MetricInput, PropertySet } from './codec.ts';
import { DataType, dataTypeOf, metricValue, type SparkplugDataType } from './datatypes.ts';

/** OPC quality codes, as Sparkplug hosts (Ignition) read the "Quality" property. */
const QUALITY_CODES = { good: 192, uncertain: 64, bad: 0 } as const;

/** One tag as a metric of its device: its name (the tag's path), alias and datatype, fixed at its birth. */
export interface MetricDefinition {
  tag: NamespaceTag;
  name: string;
  alias: number;
  /** Fixed by the mapping, or by the first value read (an OPC UA tag). */
  datatype: SparkplugDataType | undefined;
  /** What the last DBIRTH announced: a value that fixes another datatype calls for a new DBIRTH. */
  bornAs?: SparkplugDataType | undefined;
}

/** Fixes a metric's datatype from its first value; true when that differs from what its birth announced. */
export function learnDataType(definition: MetricDefinition, sample: Sample): boolean {
  if (definition.datatype !== undefined || sample.value === null) return false;
  definition.datatype = dataTypeOf(definition.tag, sample.value);
  return definition.datatype !== definition.bornAs;
}

/** The metric name of a tag: its topic below the namespace root, so that hosts show the ISA-95 tree. */
export function metricName(tag: NamespaceTag, root: string | undefined): string {
  return root === undefined ? tag.topic : tag.topic.slice(root.length + 1);
}

function properties(definition: MetricDefinition, sample: Sample | undefined, birth: boolean): PropertySet | undefined {
  const keys: string[] = [];
  const values: Array<Record<string, unknown>> = [];
  if (birth && definition.tag.unit !== undefined) {
    keys.push('engUnit');
    values.push({ type: DataType.String, stringValue: definition.tag.unit });
  }
  if (sample !== undefined && sample.quality !== 'good') {
    keys.push('Quality');
    values.push({ type: DataType.Int32, intValue: QUALITY_CODES[sample.quality] });
    if (sample.status !== undefined) {
      keys.push('StatusCode');
      values.push({ type: DataType.String, stringValue: sample.status });
    }
  }
  return keys.length === 0 ? undefined : { keys, values };
}

/** A metric of a DBIRTH: name, alias, datatype, current value (null before the first reading), properties. */
export function birthMetric(definition: MetricDefinition, sample: Sample | undefined): MetricInput {
  if (sample !== undefined && sample.value !== null) definition.datatype ??= dataTypeOf(definition.tag, sample.value);
  const datatype = definition.datatype ?? dataTypeOf(definition.tag, null);
  definition.bornAs = datatype;
  const props = properties(definition, sample, true);
  return {
    name: definition.name,
    alias: definition.alias,
    timestamp: sample?.timestamp ?? Date.now(),
    datatype,
    ...(sample === undefined ? { isNull: true } : metricValue(datatype, sample.value)),
    ...(props === undefined ? {} : { properties: props }),
  };
}

/** A metric of a DDATA: by alias only, with the quality when the value is not good. */
export function dataMetric(definition: MetricDefinition, sample: Sample, historical = false): MetricInput {
  const datatype = definition.datatype ?? DataType.Double;
  const props = properties(definition, sample, false);
  return {
    alias: definition.alias,
    timestamp: sample.timestamp,
    ...metricValue(datatype, sample.value),
    ...(historical ? { isHistorical: true } : {}),
    ...(props === undefined ? {} : { properties: props }),
  };
}
