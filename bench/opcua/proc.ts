/** /proc readings for the OPC UA benchmark: memory fields and CPU time per thread. */
import { readFileSync, readdirSync } from 'node:fs';
import { clockTicksPerSecond } from '../shared/proc-cpu.ts';

/** A `Name:  <n> kB` field of /proc/<pid>/status (VmRSS, VmHWM, Threads …) as a number; NaN when unreadable. */
export function statusField(pid: number, field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text);
    return match?.[1] === undefined ? Number.NaN : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds (user + system) of each thread of `pid`, by thread id, with its name (comm). */
export function threadCpuSeconds(pid: number): Map<number, { name: string; seconds: number }> {
  const result = new Map<number, { name: string; seconds: number }>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return result;
  }
  const hz = clockTicksPerSecond();
  for (const tid of tids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const rest = text.slice(close + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    if (!Number.isFinite(ticks)) continue;
    result.set(Number(tid), { name: text.slice(open + 1, close), seconds: ticks / hz });
  }
  return result;
}

export interface ThreadShare {
  tid: number;
  name: string;
  seconds: number;
}

/** CPU seconds each thread used between two readings, busiest first (threads that ended are left out). */
export function threadDelta(
  before: ReadonlyMap<number, { name: string; seconds: number }>,
  after: ReadonlyMap<number, { name: string; seconds: number }>,
): ThreadShare[] {
  const shares: ThreadShare[] = [];
  for (const [tid, a] of after) shares.push({ tid, name: a.name, seconds: a.seconds - (before.get(tid)?.seconds ?? 0) });
  return shares.sort((x, y) => y.seconds - x.seconds);
}
