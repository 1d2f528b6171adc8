import type { Quality, Sample, SampleValue } from './sdk.ts';

/**
 * Samples as they go from a connector to the gateway's main thread. A list of sample objects is cloned
 * field by field on both sides, its tag id strings included; here the numbers go in one buffer that
 * is transferred, not copied, and each tag id crosses once, the first time, as a number after that.
 */
export interface SampleBatch {
  count: number;
  /** `count` float64 values, `count` float64 timestamps, `count` uint32 tag numbers, `count` uint8 qualities. */
  columns: ArrayBuffer;
  /** Tag ids sent for the first time in this batch, with their numbers. */
  names: Array<[number, string]>;
  /** Values that are not numbers (null, booleans, bigints, strings, arrays), by position in the batch; their float64 cell is unused. */
  values: Array<[number, SampleValue]>;
  /** Status and unit, by position, of the samples that have one. */
  notes: Array<[number, string | undefined, string | undefined]>;
}

const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];
const QUALITY_CODE: Readonly<Record<Quality, number>> = { good: 0, uncertain: 1, bad: 2 };

/** Offsets of the columns in a batch of `count` samples; the float64 columns come first, so each stays aligned. */
function layout(count: number) {
  const values = 0;
  const timestamps = count * 8;
  const tags = count * 16;
  const qualities = count * 20;
  return { values, timestamps, tags, qualities, bytes: count * 21 };
}

/** The connector's side: numbers its tags the first time it sends them. */
export class SampleEncoder {
  private readonly numbers = new Map<string, number>();

  encode(samples: readonly Sample[]): SampleBatch {
    const count = samples.length;
    const at = layout(count);
    const columns = new ArrayBuffer(at.bytes);
    const values = new Float64Array(columns, at.values, count);
    const timestamps = new Float64Array(columns, at.timestamps, count);
    const tags = new Uint32Array(columns, at.tags, count);
    const qualities = new Uint8Array(columns, at.qualities, count);
    const batch: SampleBatch = { count, columns, names: [], values: [], notes: [] };
    samples.forEach((sample, index) => {
      let number = this.numbers.get(sample.tagId);
      if (number === undefined) {
        number = this.numbers.size;
        this.numbers.set(sample.tagId, number);
        batch.names.push([number, sample.tagId]);
      }
      tags[index] = number;
      timestamps[index] = sample.timestamp;
      qualities[index] = QUALITY_CODE[sample.quality];
      if (typeof sample.value === 'number') values[index] = sample.value;
      else batch.values.push([index, sample.value]);
      if (sample.status !== undefined || sample.unit !== undefined) batch.notes.push([index, sample.status, sample.unit]);
    });
    return batch;
  }
}

/** The main thread's side, one per connector: the samples of each batch, as the connector emitted them. */
export class SampleDecoder {
  private readonly ids: string[] = [];

  decode(batch: SampleBatch): Sample[] {
    for (const [number, id] of batch.names) this.ids[number] = id;
    const { count, columns } = batch;
    const at = layout(count);
    const values = new Float64Array(columns, at.values, count);
    const timestamps = new Float64Array(columns, at.timestamps, count);
    const tags = new Uint32Array(columns, at.tags, count);
    const qualities = new Uint8Array(columns, at.qualities, count);
    const samples: Sample[] = new Array(count);
    for (let index = 0; index < count; index++) {
      const tagId = this.ids[tags[index] ?? 0];
      if (tagId === undefined) throw new Error(`sample batch: tag number ${tags[index]} was never named`);
      samples[index] = {
        tagId,
        value: values[index] ?? 0,
        quality: QUALITIES[qualities[index] ?? 2] ?? 'bad',
        timestamp: timestamps[index] ?? 0,
      };
    }
    for (const [index, value] of batch.values) {
      const sample = samples[index];
      if (sample !== undefined) sample.value = value;
    }
    for (const [index, status, unit] of batch.notes) {
      const sample = samples[index];
      if (sample === undefined) continue;
      if (status !== undefined) sample.status = status;
      if (unit !== undefined) sample.unit = unit;
    }
    return samples;
  }
}
