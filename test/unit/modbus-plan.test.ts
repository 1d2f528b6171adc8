import { describe, expect, it } from 'vitest';
import { planReads, type PlanItem } from '../../connectors/modbus/plan.ts';

const LIMITS = { maxGapRegisters: 10, maxGapBits: 64, maxRegistersPerRead: 125, maxBitsPerRead: 2000 };
const reg = (id: string, address: number, count = 1, table: PlanItem['table'] = 'holding'): PlanItem => ({ id, table, address, count });
const shape = (items: PlanItem[], limits = LIMITS) =>
  planReads(items, limits).map((r) => `${r.table}:${r.start}+${r.count}[${r.items.map((i) => i.id).join(',')}]`);

describe('Modbus block-read plan', () => {
  it('joins contiguous tags into one request, whatever order they come in', () => {
    expect(shape([reg('c', 4, 2), reg('a', 0, 2), reg('b', 2, 2)])).toEqual(['holding:0+6[a,b,c]']);
  });

  it('joins across a hole up to the max gap, and splits beyond it', () => {
    expect(shape([reg('a', 0, 2), reg('b', 12, 2)])).toEqual(['holding:0+14[a,b]']);
    expect(shape([reg('a', 0, 2), reg('b', 13, 2)])).toEqual(['holding:0+2[a]', 'holding:13+2[b]']);
    expect(shape([reg('a', 0), reg('b', 5)], { ...LIMITS, maxGapRegisters: 0 })).toEqual(['holding:0+1[a]', 'holding:5+1[b]']);
  });

  it('never reads more than 125 registers in one request', () => {
    const items = Array.from({ length: 300 }, (_, i) => reg(`r${i}`, i));
    const requests = planReads(items, LIMITS);
    expect(requests.map((r) => [r.start, r.count])).toEqual([
      [0, 125],
      [125, 125],
      [250, 50],
    ]);
    expect(requests.flatMap((r) => r.items).length).toBe(300);
  });

  it('keeps a multi-register value whole rather than splitting it at the limit', () => {
    const items = [reg('a', 0, 124), reg('b', 124, 2)];
    expect(shape(items)).toEqual(['holding:0+124[a]', 'holding:124+2[b]']);
  });

  it('reads at most 2000 bits per request on coils, with the bit gap', () => {
    const coils = Array.from({ length: 2500 }, (_, i) => reg(`c${i}`, i, 1, 'coil'));
    expect(planReads(coils, LIMITS).map((r) => [r.table, r.start, r.count])).toEqual([
      ['coil', 0, 2000],
      ['coil', 2000, 500],
    ]);
    expect(shape([reg('x', 0, 1, 'discrete'), reg('y', 65, 1, 'discrete')])).toEqual(['discrete:0+66[x,y]']);
    expect(shape([reg('x', 0, 1, 'discrete'), reg('y', 66, 1, 'discrete')])).toEqual(['discrete:0+1[x]', 'discrete:66+1[y]']);
  });

  it('keeps tables apart and orders them coil, discrete, input, holding', () => {
    expect(shape([reg('h', 0, 1, 'holding'), reg('i', 0, 1, 'input'), reg('c', 0, 1, 'coil'), reg('d', 1, 1, 'discrete')])).toEqual([
      'coil:0+1[c]',
      'discrete:1+1[d]',
      'input:0+1[i]',
      'holding:0+1[h]',
    ]);
  });

  it('serves overlapping tags (a register and a bit of it) from one read', () => {
    expect(shape([reg('word', 10, 1), reg('bit3', 10, 1), reg('float', 8, 2)])).toEqual(['holding:8+3[float,word,bit3]']);
  });

  it('respects a device limit lower than the protocol one', () => {
    const items = Array.from({ length: 10 }, (_, i) => reg(`r${i}`, i * 2, 2));
    expect(planReads(items, { ...LIMITS, maxRegistersPerRead: 8 }).map((r) => r.count)).toEqual([8, 8, 4]);
  });
});
