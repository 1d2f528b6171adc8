import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

let clkTck: number | undefined;

/** Clock ticks per second for /proc times (`getconf CLK_TCK`, usually 100). */
export function clockTicksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      const n = Number.parseInt(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim(), 10);
      clkTck = Number.isFinite(n) && n > 0 ? n : 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

interface StatFields {
  ppid: number;
  ticks: number; // utime + stime
}

function readStat(pid: number): StatFields | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Field 2 (comm) is in parentheses and may contain spaces: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { ppid, ticks: utime + stime };
}

/**
 * CPU seconds (user + system) used so far by `pid` and any live descendants
 * (in case the broker command is a wrapper that forks the real broker).
 * Threads are already included in a process's own counters.
 */
export function processTreeCpuSeconds(pid: number): number {
  const root = readStat(pid);
  if (root === null) throw new Error(`cannot read /proc/${pid}/stat (process gone?)`);
  let ticks = root.ticks;
  const children = new Map<number, number[]>();
  const stats = new Map<number, StatFields>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = Number(name);
    if (p === pid) continue;
    const s = readStat(p);
    if (s === null) continue;
    stats.set(p, s);
    const list = children.get(s.ppid) ?? [];
    list.push(p);
    children.set(s.ppid, list);
  }
  const queue = [...(children.get(pid) ?? [])];
  for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
    ticks += stats.get(p)?.ticks ?? 0;
    queue.push(...(children.get(p) ?? []));
  }
  return ticks / clockTicksPerSecond();
}

/** Host-wide CPU seconds spent busy (all CPUs, everything except idle and iowait), from /proc/stat. */
export function hostBusyCpuSeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal guest guest_nice
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const at = (i: number): number => f[i] ?? 0;
  // guest time is already included in user/nice.
  return (at(0) + at(1) + at(2) + at(5) + at(6) + at(7)) / clockTicksPerSecond();
}

/** A number field of /proc/<pid>/status or smaps_rollup ("VmRSS", "Threads", "Anonymous"), as written (kB for sizes). */
export function procField(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  const text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/${file}`);
  return Number(match[1]);
}

export function readRssBytes(pid: number): number {
  return procField(pid, 'status', 'VmRSS') * 1024;
}
