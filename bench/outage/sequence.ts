/** What arrived upstream against what the edge acknowledged (every sequence number 1…total). */
export interface SequenceFigures {
  received: number;
  /** Acknowledged by the edge and never received upstream. */
  lost: number;
  /** The lost sequence numbers as ranges ("1001-10000"). */
  lostRanges: string[];
  /** Arrivals of a sequence number already received. */
  duplicates: number;
  /** First arrivals of a sequence number lower than one received before it. */
  outOfOrder: number;
  /** Duplicates and out-of-order arrivals of messages that were not in the publisher's window at the restart. */
  duplicatesOutsideWindow: number;
  outOfOrderOutsideWindow: number;
}

export function sequenceFigures(arrivals: readonly number[], total: number, windowAtRestart: readonly number[]): SequenceFigures {
  const window = new Set(windowAtRestart);
  const seen = new Set<number>();
  let highest = 0;
  const figures: SequenceFigures = { received: arrivals.length, lost: 0, lostRanges: [], duplicates: 0, outOfOrder: 0, duplicatesOutsideWindow: 0, outOfOrderOutsideWindow: 0 };
  for (const seq of arrivals) {
    if (seen.has(seq)) {
      figures.duplicates++;
      if (!window.has(seq)) figures.duplicatesOutsideWindow++;
      continue;
    }
    seen.add(seq);
    if (seq < highest) {
      figures.outOfOrder++;
      if (!window.has(seq)) figures.outOfOrderOutsideWindow++;
    }
    highest = Math.max(highest, seq);
  }
  let start = 0;
  for (let seq = 1; seq <= total + 1; seq++) {
    const missing = seq <= total && !seen.has(seq);
    if (missing) {
      figures.lost++;
      if (start === 0) start = seq;
    } else if (start !== 0) {
      figures.lostRanges.push(start === seq - 1 ? String(start) : `${start}-${seq - 1}`);
      start = 0;
    }
  }
  return figures;
}
