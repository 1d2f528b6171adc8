import type { RegisterTable } from '../../schemas/modbus-layout.ts';

/** One tag's place in a Modbus table. */
export interface PlanItem {
  id: string;
  table: RegisterTable;
  address: number;
  /** Registers (or bits, on coil/discrete tables) it occupies. */
  count: number;
}

/** One read request (FC 1, 2, 3 or 4) and the tags it serves. */
export interface ReadRequest {
  table: RegisterTable;
  start: number;
  count: number;
  items: PlanItem[];
}

export interface PlanLimits {
  /** Unused registers one request may span to join two tags. */
  maxGapRegisters: number;
  maxGapBits: number;
  /** At most 125 [Modbus application protocol 6.3]. */
  maxRegistersPerRead: number;
  /** At most 2000 [Modbus application protocol 6.1]. */
  maxBitsPerRead: number;
}

const TABLE_ORDER: readonly RegisterTable[] = ['coil', 'discrete', 'input', 'holding'];

function isBitTable(table: RegisterTable): boolean {
  return table === 'coil' || table === 'discrete';
}

/**
 * The fewest read requests that cover every item: items of one table are sorted by address and
 * joined while the hole between them is at most the gap and the request stays within the limit.
 * Pure: the same items give the same plan.
 */
export function planReads(items: readonly PlanItem[], limits: PlanLimits): ReadRequest[] {
  const requests: ReadRequest[] = [];
  for (const table of TABLE_ORDER) {
    const bits = isBitTable(table);
    const gap = bits ? limits.maxGapBits : limits.maxGapRegisters;
    const limit = bits ? limits.maxBitsPerRead : limits.maxRegistersPerRead;
    const sorted = items
      .filter((item) => item.table === table)
      .sort((a, b) => a.address - b.address || b.count - a.count);
    let current: ReadRequest | undefined;
    for (const item of sorted) {
      const end = item.address + item.count;
      if (current) {
        const currentEnd = current.start + current.count;
        const newEnd = Math.max(currentEnd, end);
        if (item.address - currentEnd <= gap && newEnd - current.start <= limit) {
          current.count = newEnd - current.start;
          current.items.push(item);
          continue;
        }
      }
      current = { table, start: item.address, count: item.count, items: [item] };
      requests.push(current);
    }
  }
  return requests;
}
