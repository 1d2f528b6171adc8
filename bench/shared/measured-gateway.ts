/**
 * Runs the gateway under test as an npm start script does, `node <its flags> [--cpu-prof …] bin/uns-gateway.js run
 * --config <file>`, waits for its "listener ready" log line, reads its CPU time and RSS from /proc, stops
 * it with SIGINT.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
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

/** The TypeScript sources under `dir` (declaration files aside), recursively. */
function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The folders `npm run build` compiles (tsconfig.build.json's include). */
const BUILT_FOLDERS = ['src', 'connectors', 'shared', 'schemas'];

/** Each source the last build compiled, by absolute path, with the hash of its text (tsc's build info). */
function builtVersions(repoRoot: string): Map<string, string> | undefined {
  const distDir = path.join(repoRoot, 'dist');
  const file = path.join(distDir, '.tsbuildinfo');
  if (!existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(file, 'utf8')) as { fileNames?: string[]; fileInfos?: Array<string | { version?: string }> };
  const versions = new Map<string, string>();
  info.fileNames?.forEach((name, index) => {
    const entry = info.fileInfos?.[index];
    const version = typeof entry === 'string' ? entry : entry?.version;
    if (version !== undefined) versions.set(path.resolve(distDir, name), version);
  });
  return versions;
}

/**
 * bin/uns-gateway.js runs the built dist/ (`npm run build`). Returns a warning when dist/ is missing or
 * a source's text is not the one the last build compiled (tsc records a SHA-256 of each), since the
 * benchmark would then measure other code than the tree's. By content, not time: an incremental build
 * rewrites only the outputs of what changed, and a file touched back to the same text needs no build.
 */
export function distWarning(repoRoot: string): string | undefined {
  const built = builtVersions(repoRoot);
  if (!existsSync(path.join(repoRoot, 'dist', 'src', 'cli.js')) || !built) return 'dist/ is missing: run `npm run build` first';
  for (const source of BUILT_FOLDERS.flatMap((folder) => sources(path.join(repoRoot, folder)))) {
    if (built.get(source) !== createHash('sha256').update(readFileSync(source, 'utf8')).digest('hex')) {
      return `dist/ was built before ${path.relative(repoRoot, source)} changed: the gateway runs the older build (npm run build)`;
    }
  }
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
