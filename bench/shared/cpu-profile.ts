/**
 * Summary of the `.cpuprofile` files `node --cpu-prof` writes (one per thread): self time per
 * function, as a share of the thread's sampled time and of its busy (non-idle) time.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

export interface CpuProfile {
  startTime: number;
  endTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  name: string;
  where: string;
  selfMs: number;
  /** Of the busy time (everything but "(idle)"). */
  busyShare: number;
}

export interface ThreadProfile {
  file: string;
  /** 0 for the main thread. */
  threadId: number;
  sampledMs: number;
  busyMs: number;
  functions: FunctionCost[];
}

export function readCpuProfile(file: string): CpuProfile {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isCpuProfile(parsed)) throw new Error(`${file} is not a .cpuprofile`);
  return parsed;
}

function isCpuProfile(value: unknown): value is CpuProfile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.startTime === 'number' && Array.isArray(v.nodes) && Array.isArray(v.samples) && Array.isArray(v.timeDeltas);
}

/** A short location: "node_modules/aedes/lib/client.js", "src/store/outgoing.ts", "node:internal/…". */
export function shortUrl(url: string, repoRoot: string): string {
  if (url === '') return '';
  let p = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const root = repoRoot.endsWith('/') ? repoRoot : `${repoRoot}/`;
  if (p.startsWith(root)) p = p.slice(root.length);
  const nm = p.lastIndexOf('node_modules/');
  return nm >= 0 ? p.slice(nm) : p;
}

/** CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile → tid. */
export function threadIdOf(file: string): number {
  const parts = path.basename(file).split('.');
  const tid = Number(parts[4]);
  return Number.isInteger(tid) ? tid : -1;
}

/**
 * Sample times are V8 TimeTicks: CLOCK_MONOTONIC in µs on Linux, the clock of
 * `process.hrtime.bigint()` too, so a window taken in another process on the same machine applies.
 */
export interface MonotonicWindowUs {
  from: number;
  to: number;
}

export function monotonicNowUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Calls `fn` with each sample's call frame and the time it stands for: sample i lasts until sample i+1 (the
 * last one, or one with a negative delta, as long as the one before). With `window`, only the samples in it.
 */
export function forEachSample(profile: CpuProfile, fn: (frame: CallFrame, us: number) => void, window?: MonotonicWindowUs): void {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  let at = profile.startTime;
  let last = 0;
  profile.samples.forEach((nodeId, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.from || at >= window.to)) return;
    const next = profile.timeDeltas[i + 1];
    const us = next !== undefined && next >= 0 ? next : last;
    last = us;
    const frame = nodes.get(nodeId)?.callFrame;
    if (frame) fn(frame, us);
  });
}

export function summariseProfile(file: string, repoRoot: string, window?: MonotonicWindowUs): ThreadProfile {
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  let idle = 0;
  forEachSample(
    readCpuProfile(file),
    (frame, us) => {
      total += us;
      if (frame.functionName === '(idle)') {
        idle += us;
        return;
      }
      const where = frame.url === '' ? '' : `${shortUrl(frame.url, repoRoot)}:${frame.lineNumber + 1}`;
      const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
      const key = `${name}\u0000${where}`;
      const entry = selfUs.get(key);
      if (entry) entry.us += us;
      else selfUs.set(key, { name, where, us });
    },
    window,
  );
  const busy = total - idle;
  const functions = [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, busyShare: busy > 0 ? e.us / busy : 0 }));
  return { file, threadId: threadIdOf(file), sampledMs: total / 1000, busyMs: busy / 1000, functions };
}

export function profileFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(dir, name));
}

/** Self time summed over several threads' profiles (e.g. every connector worker). */
export function mergeProfiles(profiles: readonly ThreadProfile[]): { busyMs: number; sampledMs: number; functions: FunctionCost[] } {
  const merged = new Map<string, { name: string; where: string; ms: number }>();
  let busyMs = 0;
  let sampledMs = 0;
  for (const profile of profiles) {
    busyMs += profile.busyMs;
    sampledMs += profile.sampledMs;
    for (const f of profile.functions) {
      const key = `${f.name}\u0000${f.where}`;
      const entry = merged.get(key);
      if (entry) entry.ms += f.selfMs;
      else merged.set(key, { name: f.name, where: f.where, ms: f.selfMs });
    }
  }
  const functions = [...merged.values()]
    .sort((a, b) => b.ms - a.ms)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.ms, busyShare: busyMs > 0 ? e.ms / busyMs : 0 }));
  return { busyMs, sampledMs, functions };
}
