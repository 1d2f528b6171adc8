import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SampleDecoder, SampleEncoder, type SampleBatch } from '../../connectors/sample-batch.ts';
import type { Sample } from '../../connectors/sdk.ts';

/** What the main thread gets: the batch posted over a real MessagePort, its columns transferred. */
function post(batch: SampleBatch): SampleBatch {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(batch, [batch.columns]);
  const received = receiveMessageOnPort(port2)?.message as SampleBatch;
  port1.close();
  return received;
}

const samples: Sample[] = [
  { tagId: 'plc1/speed', value: 1450.5, quality: 'good', timestamp: 1_796_000_000_123 },
  { tagId: 'plc1/count', value: 12345678901234567890n, quality: 'good', timestamp: 1_796_000_000_124 },
  { tagId: 'plc1/running', value: true, quality: 'uncertain', status: 'UncertainLastUsableValue', timestamp: 1_796_000_000_125 },
  { tagId: 'plc1/recipe', value: 'PVC-40 ä', quality: 'good', unit: 'name', timestamp: 1_796_000_000_126 },
  { tagId: 'plc1/profile', value: [[1, 2], [3, 4.5]], quality: 'good', timestamp: 1_796_000_000_127 },
  { tagId: 'opc/missing', value: null, quality: 'bad', status: 'BadNodeIdUnknown', timestamp: 1_796_000_000_128 },
  { tagId: 'plc1/temp', value: -0, quality: 'good', unit: '°C', timestamp: 1_796_000_000_129 },
  { tagId: 'plc1/nan', value: Number.NaN, quality: 'good', timestamp: 1_796_000_000_130 },
  { tagId: 'plc1/inf', value: Number.NEGATIVE_INFINITY, quality: 'bad', status: 'BadOutOfRange', unit: 'bar', timestamp: 1_796_000_000_131 },
];

describe('sample batches', () => {
  it('gives the main thread every sample as the connector emitted it, in order, with only the fields it had', () => {
    const decoded = new SampleDecoder().decode(post(new SampleEncoder().encode(samples)));
    expect(decoded).toEqual(samples);
    expect(decoded.map((sample) => Object.keys(sample).sort())).toEqual(samples.map((sample) => Object.keys(sample).sort()));
    expect(Object.is(decoded[6]?.value, -0)).toBe(true);
  });

  it('hands the numbers over in one transferred buffer, and names each tag once', () => {
    const encoder = new SampleEncoder();
    const decoder = new SampleDecoder();
    const first = encoder.encode(samples.slice(0, 2));
    const columns = first.columns;
    const firstDecoded = decoder.decode(post(first));
    expect(columns.byteLength).toBe(0); // transferred: detached on the connector's side
    expect(first.names).toEqual([
      [0, 'plc1/speed'],
      [1, 'plc1/count'],
    ]);
    const second = encoder.encode([{ ...samples[0]!, value: 1451, timestamp: 1 }, samples[3]!]);
    expect(second.names).toEqual([[2, 'plc1/recipe']]);
    expect(second.values).toEqual([[1, 'PVC-40 ä']]);
    expect(decoder.decode(post(second))).toEqual([{ ...samples[0]!, value: 1451, timestamp: 1 }, samples[3]]);
    expect(firstDecoded).toEqual(samples.slice(0, 2));
  });

  it('asks once per tag for the id string the main thread keys it by, and keeps an id nobody knows as it came', () => {
    const asked: string[] = [];
    const known = new Map([['plc1/speed', 'plc1/speed']]);
    const decoder = new SampleDecoder((id) => {
      asked.push(id);
      return known.get(id);
    });
    const encoder = new SampleEncoder();
    const first = decoder.decode(post(encoder.encode(samples.slice(0, 2))));
    const second = decoder.decode(post(encoder.encode(samples.slice(0, 3))));
    expect(asked).toEqual(['plc1/speed', 'plc1/count', 'plc1/running']);
    expect(first.map((sample) => sample.tagId)).toEqual(['plc1/speed', 'plc1/count']);
    expect(second).toEqual(samples.slice(0, 3));
  });

  it('refuses a batch naming a tag it was never told of (a decoder of another connector)', () => {
    const encoder = new SampleEncoder();
    encoder.encode(samples.slice(0, 1));
    expect(() => new SampleDecoder().decode(post(encoder.encode(samples.slice(0, 1))))).toThrow('tag number 0 was never named');
  });

  it('decodes an empty batch to no samples', () => {
    expect(new SampleDecoder().decode(post(new SampleEncoder().encode([])))).toEqual([]);
  });

  it('sends a tag\'s unit once: later samples with the same unit carry it without a note', () => {
    const encoder = new SampleEncoder();
    const decoder = new SampleDecoder();
    const reading = (value: number, status?: string): Sample => ({
      tagId: 'opc/temp',
      value,
      quality: status === undefined ? 'good' : 'uncertain',
      ...(status === undefined ? {} : { status }),
      unit: '°C',
      timestamp: value,
    });
    const first = encoder.encode([reading(1), reading(2)]);
    // Within the batch that brings it, each sample names the unit: the decoder takes it as the tag's after the batch.
    expect(first.notes).toEqual([
      [0, undefined, '°C'],
      [1, undefined, '°C'],
    ]);
    expect(decoder.decode(post(first))).toEqual([reading(1), reading(2)]);
    const later = encoder.encode([reading(3), reading(4, 'UncertainEngineeringUnitsExceeded')]);
    expect(later.notes).toEqual([[1, 'UncertainEngineeringUnitsExceeded', undefined]]);
    expect(decoder.decode(post(later))).toEqual([reading(3), reading(4, 'UncertainEngineeringUnitsExceeded')]);
  });

  it('keeps each sample\'s own unit when a tag\'s unit changes, is missing, or changes twice within a batch', () => {
    const encoder = new SampleEncoder();
    const decoder = new SampleDecoder();
    const temp = (value: number, unit?: string): Sample => ({ tagId: 'opc/temp', value, quality: 'good', timestamp: value, ...(unit === undefined ? {} : { unit }) });
    const other = (value: number): Sample => ({ tagId: 'opc/flow', value, quality: 'good', unit: 'm³/h', timestamp: value });
    const batches = [
      [temp(1, '°C'), other(1), temp(2, '°C')],
      [temp(3, '°C'), temp(4, 'K'), temp(5), temp(6, 'K'), other(2), temp(7, '°F'), temp(8, '°F')],
      [temp(9, '°F'), other(3), temp(10, '°C'), temp(11, '°F')],
      [temp(12, '°F'), temp(13)],
    ];
    for (const batch of batches) {
      const decoded = decoder.decode(post(encoder.encode(batch)));
      expect(decoded).toEqual(batch);
      expect(decoded.map((sample) => Object.keys(sample).sort())).toEqual(batch.map((sample) => Object.keys(sample).sort()));
    }
  });
});
