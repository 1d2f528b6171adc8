import { describe, expect, it } from 'vitest';
import { SampleOutbox } from '../../connectors/outbox.ts';
import type { Sample } from '../../connectors/sdk.ts';

const sample = (tag: string, value: number, unit?: string): Sample => ({ tagId: tag, value, quality: 'good', timestamp: value, ...(unit ? { unit } : {}) });

describe('sample outbox', () => {
  it('sends one batch at a time and, meanwhile, keeps only the latest sample of each tag', () => {
    const sent: Array<{ values: string[]; shed: number }> = [];
    const outbox = new SampleOutbox((samples, shed) => sent.push({ values: samples.map((s) => `${s.tagId}${String(s.value)}`), shed }));
    outbox.emit([sample('a', 1), sample('b', 1)]);
    outbox.emit([sample('a', 2)]);
    outbox.emit([sample('c', 1), sample('a', 3)]);
    outbox.emit([sample('b', 2)]);
    expect(sent).toEqual([{ values: ['a1', 'b1'], shed: 0 }]);
    outbox.taken();
    expect(sent[1]).toEqual({ values: ['a3', 'c1', 'b2'], shed: 1 });
    outbox.taken();
    expect(sent).toHaveLength(2);
    outbox.emit([sample('a', 4)]);
    expect(sent[2]).toEqual({ values: ['a4'], shed: 0 });
  });

  it('keeps the unit that came with a replaced sample', () => {
    const sent: Sample[][] = [];
    const outbox = new SampleOutbox((samples) => sent.push(samples));
    outbox.emit([sample('x', 0)]);
    outbox.emit([sample('a', 1, 'bar')]);
    outbox.emit([sample('a', 2)]);
    outbox.taken();
    expect(sent[1]).toEqual([{ tagId: 'a', value: 2, quality: 'good', timestamp: 2, unit: 'bar' }]);
  });

  it('flushes what waits before a write result or a status, even with a batch in flight', () => {
    const sent: string[][] = [];
    const outbox = new SampleOutbox((samples) => sent.push(samples.map((s) => `${s.tagId}${String(s.value)}`)));
    outbox.emit([sample('a', 1)]);
    outbox.emit([sample('a', 2)]);
    outbox.flush();
    expect(sent).toEqual([['a1'], ['a2']]);
    outbox.flush();
    outbox.taken();
    expect(sent).toHaveLength(2);
  });
});

