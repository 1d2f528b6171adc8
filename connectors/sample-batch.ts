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
  /**
   * Status, by position, of the samples that have one; and unit, of those whose unit is not the one their
   * tag had before this batch (the last one becomes the tag's). Any other sample with a unit has the tag's,
   * flagged in its quality cell: a tag read with a unit carries it on every sample.
   */
  notes: Array<[number, string | undefined, string | undefined]>;
}

const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];
const QUALITY_CODE: Readonly<Record<Quality, number>> = { good: 0, uncertain: 1, bad: 2 };
const QUALITY_BITS = 0x03;
/** In a quality cell: the sample has its tag's unit, as the decoder knows it at the start of the batch. */
const TAG_UNIT = 0x04;

/** Offsets of the columns in a batch of `count` samples; the float64 columns come first, so each stays aligned. */
function layout(count: number) {
  const values = 0;
  const timestamps = count * 8;
  const tags = count * 16;
  const qualities = count * 20;
  return { values, timestamps, tags, qualities, bytes: count * 21 };
}

/** The connector's side: numbers its tags the first time it sends them, and sends each tag's unit when it changes. */
export class SampleEncoder {
  private readonly numbers = new Map<string, number>();
  /** Each tag's unit, as the decoder knows it, by tag number. */
  private readonly units: Array<string | undefined> = [];

  encode(samples: readonly Sample[]): SampleBatch {
    const count = samples.length;
    const at = layout(count);
    const columns = new ArrayBuffer(at.bytes);
    const values = new Float64Array(columns, at.values, count);
    const timestamps = new Float64Array(columns, at.timestamps, count);
    const tags = new Uint32Array(columns, at.tags, count);
    const qualities = new Uint8Array(columns, at.qualities, count);
    const batch: SampleBatch = { count, columns, names: [], values: [], notes: [] };
    /** Units sent in this batch's notes: the decoder takes them as its tags' after the batch, and the flag means the tag's before it. */
    const unitsSent = new Map<number, string>();
    samples.forEach((sample, index) => {
      let number = this.numbers.get(sample.tagId);
      if (number === undefined) {
        number = this.numbers.size;
        this.numbers.set(sample.tagId, number);
        batch.names.push([number, sample.tagId]);
      }
      tags[index] = number;
      timestamps[index] = sample.timestamp;
      const { unit, status } = sample;
      const tagUnit = unit !== undefined && this.units[number] === unit;
      const newUnit = tagUnit ? undefined : unit;
      qualities[index] = QUALITY_CODE[sample.quality] | (tagUnit ? TAG_UNIT : 0);
      if (typeof sample.value === 'number') values[index] = sample.value;
      else batch.values.push([index, sample.value]);
      if (status !== undefined || newUnit !== undefined) batch.notes.push([index, status, newUnit]);
      if (newUnit !== undefined) unitsSent.set(number, newUnit);
    });
    for (const [number, unit] of unitsSent) this.units[number] = unit;
    return batch;
  }
}

/** The main thread's side, one per connector: the samples of each batch, as the connector emitted them. */
export class SampleDecoder {
  private readonly ids: string[] = [];
  private readonly units: Array<string | undefined> = [];

  /**
   * `known` gives, for a tag id, the very string the main thread keys that tag by, if it has one. Samples then
   * carry that string, and each map lookup of their tag compares references rather than characters; a string
   * cloned from the connector would be a copy. Any other id is used as it came.
   */
  constructor(private readonly known: (id: string) => string | undefined = () => undefined) {}

  decode(batch: SampleBatch): Sample[] {
    for (const [number, id] of batch.names) this.ids[number] = this.known(id) ?? id;
    const { count, columns } = batch;
    const at = layout(count);
    const values = new Float64Array(columns, at.values, count);
    const timestamps = new Float64Array(columns, at.timestamps, count);
    const tags = new Uint32Array(columns, at.tags, count);
    const qualities = new Uint8Array(columns, at.qualities, count);
    const samples: Sample[] = new Array(count);
    for (let index = 0; index < count; index++) {
      const number = tags[index] ?? 0;
      const tagId = this.ids[number];
      if (tagId === undefined) throw new Error(`sample batch: tag number ${number} was never named`);
      const code = qualities[index] ?? 2;
      const sample: Sample = { tagId, value: values[index] ?? 0, quality: QUALITIES[code & QUALITY_BITS] ?? 'bad', timestamp: timestamps[index] ?? 0 };
      if ((code & TAG_UNIT) !== 0) sample.unit = this.units[number];
      samples[index] = sample;
    }
    for (const [index, value] of batch.values) {
      const sample = samples[index];
      if (sample !== undefined) sample.value = value;
    }
    for (const [index, status, unit] of batch.notes) {
      const sample = samples[index];
      if (sample === undefined) continue;
      if (status !== undefined) sample.status = status;
      if (unit === undefined) continue;
      sample.unit = unit;
      this.units[tags[index] ?? 0] = unit;
    }
    return samples;
  }
}
