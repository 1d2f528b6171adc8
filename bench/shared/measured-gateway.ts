/**
 * Runs the gateway under test as an npm start script does, `node <its flags> [--cpu-prof …] bin/uns-gateway.js run
 * --config <file>`, waits for its "listener ready" log line, reads its CPU time and RSS from /proc, stops
 * it with SIGINT.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { launchGateway } from './gateway-process.ts';
import { procField, processTreeCpuSeconds, readRssBytes } from './proc-cpu.ts';
import { isAlive, stopProcess, type StopResult } from './process.ts';

export interface GatewayProcess {
  pid: number;
  /** Bound MQTT TCP port. */
  port: number;
  alive(): boolean;
  /** CPU seconds (user + system, every thread) used so far. */
  cpuSeconds(): number;
  /** VmRSS in bytes (every thread shares it). */
  rssBytes(): number;
  /** Anonymous memory (heaps, stacks) in bytes, from /proc/<pid>/smaps_rollup; the rest of RSS is mapped files. */
  anonymousBytes(): number;
  /** Threads, from /proc/<pid>/status. */
  threads(): number;
  /** Log lines at warn (40) or above seen so far. */
  problems(): string[];
  logTail(): string;
  /** SIGINT, then SIGKILL after `graceMs`. Resolves with the exit code (null when killed). */
  stop(graceMs: number): Promise<StopResult>;
}

function newestMtimeMs(dir: string, extension = '.ts'): { ms: number; file: string } {
  let newest = { ms: 0, file: '' };
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const found = entry.isDirectory() ? newestMtimeMs(full, extension) : entry.name.endsWith(extension) ? { ms: statSync(full).mtimeMs, file: full } : newest;
    if (found.ms > newest.ms) newest = found;
  }
  return newest;
}

/**
 * bin/uns-gateway.js runs the built dist/ (`npm run build`). Returns a warning when dist/ is missing
 * or older than a source file, since the benchmark would then measure other code than the tree's.
 */
export function distWarning(repoRoot: string): string | undefined {
  const cli = path.join(repoRoot, 'dist', 'src', 'cli.js');
  if (!existsSync(cli)) return 'dist/ is missing: run `npm run build` first';
  // An incremental build rewrites only what changed: the newest output is when it last ran.
  const built = newestMtimeMs(path.join(repoRoot, 'dist', 'src'), '.js').ms;
  const newest = ['src', 'connectors', 'schemas'].map((d) => newestMtimeMs(path.join(repoRoot, d))).reduce((a, b) => (b.ms > a.ms ? b : a));
  if (newest.ms > built) return `dist/ was built before ${path.relative(repoRoot, newest.file)} changed: the gateway runs the older build (npm run build)`;
  return undefined;
}

export interface GatewayStart {
  repoRoot: string;
  configFile: string;
  startTimeoutMs: number;
  /** Run under `node --cpu-prof`, profiles (one per thread) written here on exit. */
  cpuProfDir?: string | undefined;
  /** The npm script whose node flags the gateway runs with. */
  script: string;
}

export async function startGatewayProcess(options: GatewayStart): Promise<GatewayProcess> {
  const problems: string[] = [];
  const gw = await launchGateway({
    ...options,
    onLog: (record, line) => {
      if (typeof record.level === 'number' && record.level >= 40 && problems.length < 200) problems.push(line);
    },
  });
  const { pid, child } = gw;
  return {
    pid,
    port: gw.port,
    alive: () => isAlive(child),
    cpuSeconds: () => processTreeCpuSeconds(pid),
    rssBytes: () => readRssBytes(pid),
    anonymousBytes: () => procField(pid, 'smaps_rollup', 'Anonymous') * 1024,
    threads: () => procField(pid, 'status', 'Threads'),
    problems: () => [...problems],
    logTail: () => gw.tail.toString(),
    stop: (graceMs) => stopProcess(child, 'SIGINT', graceMs),
  };
}
