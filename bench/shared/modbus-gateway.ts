/**
 * Runs the gateway under test as an npm start script does, `node <its flags> [--cpu-prof …] bin/uns-gateway.js run
 * --config <file>`, waits for its "listener ready" log line, reads its CPU time and RSS from /proc, stops
 * it with SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { trackChild } from './cleanup.ts';
import { processTreeCpuSeconds } from './proc-cpu.ts';
import { startNodeFlags } from './start-flags.ts';

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
  stop(graceMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }>;
}

interface LogLine {
  level?: unknown;
  msg?: unknown;
  protocol?: unknown;
  port?: unknown;
}

function parseLine(line: string): LogLine | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as LogLine) : undefined;
  } catch {
    return undefined;
  }
}

function procField(pid: number, file: 'status' | 'smaps_rollup', field: string): number {
  const text = readFileSync(`/proc/${pid}/${file}`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(text);
  if (!match?.[1]) throw new Error(`no ${field} in /proc/${pid}/${file}`);
  return Number(match[1]);
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function newestMtimeMs(dir: string): { ms: number; file: string } {
  let newest = { ms: 0, file: '' };
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const found = entry.isDirectory() ? newestMtimeMs(full) : entry.name.endsWith('.ts') ? { ms: statSync(full).mtimeMs, file: full } : newest;
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
  const built = statSync(cli).mtimeMs;
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
  const bin = path.join(options.repoRoot, 'bin', 'uns-gateway.js');
  const profArgs = options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
  const child = trackChild(
    spawn(process.execPath, [...startNodeFlags(options.repoRoot, options.script), ...profArgs, bin, 'run', '--config', options.configFile], {
      cwd: options.repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const tail: string[] = [];
  const problems: string[] = [];
  const keep = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  child.on('error', (error) => keep(`[spawn error] ${error.message}`));
  let onListener: ((port: number) => void) | undefined;
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      keep(line);
      const parsed = parseLine(line);
      if (parsed === undefined) return;
      if (typeof parsed.level === 'number' && parsed.level >= 40 && problems.length < 200) problems.push(line);
      if (parsed.msg === 'listener ready' && parsed.protocol === 'tcp' && typeof parsed.port === 'number') onListener?.(parsed.port);
    });
  }
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => keep(`[stderr] ${line}`));

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway: no "listener ready" within ${options.startTimeoutMs} ms\n${tail.join('\n')}`)), options.startTimeoutMs);
    onListener = (p) => {
      clearTimeout(timer);
      resolve(p);
    };
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited during startup (code ${code}, signal ${signal})\n${tail.join('\n')}`));
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('gateway has no pid');

  return {
    pid,
    port,
    alive: () => isAlive(child),
    cpuSeconds: () => processTreeCpuSeconds(pid),
    rssBytes: () => procField(pid, 'status', 'VmRSS') * 1024,
    anonymousBytes: () => procField(pid, 'smaps_rollup', 'Anonymous') * 1024,
    threads: () => procField(pid, 'status', 'Threads'),
    problems: () => [...problems],
    logTail: () => tail.join('\n'),
    stop: async (graceMs) => {
      if (!isAlive(child)) return { code: child.exitCode, signal: child.signalCode, forced: false };
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      child.kill('SIGINT');
      let forced = false;
      const timer = setTimeout(() => {
        forced = true;
        child.kill('SIGKILL');
      }, graceMs);
      const outcome = await exited;
      clearTimeout(timer);
      return { ...outcome, forced };
    },
  };
}
