/**
 * Starts the gateway (`node bin/uns-gateway.js run --config <dir>/gateway.yaml`)
 * with a given store engine, stops it with SIGINT, and reads its RSS and
 * database size. The config dir (and so the data dir) outlives a stop, so the
 * same store can be restarted; the caller removes the dir.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './repo-root.ts';
import { BENCH_GATEWAY_YAML, launchGateway, type LaunchedGateway } from './gateway-process.ts';
import { readRssBytes } from './proc-cpu.ts';
import { isAlive, spawnPiped, stopProcess, type StopResult } from './process.ts';

export const DATABASE_FILE = path.join('data', 'gateway.db');

export type Engine = 'sqlite' | 'memory';

export interface GatewayStartOptions {
  engine: Engine;
  /** Holds gateway.yaml and data/. */
  dir: string;
  startTimeoutMs: number;
  /** Run the gateway under `node --cpu-prof`, writing the profile here on exit. */
  cpuProfDir?: string;
  /** store.maxSizeMB (the gateway's default when absent). */
  maxSizeMB?: number;
  /** Called with every JSON log line of the gateway. */
  onLog?: (record: Record<string, unknown>) => void;
}

export interface RunningGateway {
  engine: Engine;
  pid: number;
  port: number;
  /** Retained count from the "store open" log line (sqlite only). */
  retainedAtOpen: number | undefined;
  /** Start of the process to "listener ready". */
  startMs: number;
  alive(): boolean;
  logTail(): string;
  /** Error and fatal log lines seen so far. */
  errors(): string[];
  /** VmRSS in bytes. */
  rssBytes(): number;
  /** Calls `fn` when the process exits (at once if it has); returns a function that cancels it. */
  onExit(fn: (code: number | null, signal: NodeJS.Signals | null) => void): () => void;
  /** SIGINT, then SIGKILL after `graceMs`. */
  stop(graceMs: number): Promise<StopResult>;
}

/**
 * Runs the project's `build` script when it has one (bin/uns-gateway.js then
 * runs the built dist/), so that the benchmark never measures stale output.
 * Resolves with the build time in ms, or null when there is no build script.
 */
export async function buildGateway(timeoutMs: number): Promise<number | null> {
  const pkg: unknown = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const scripts = typeof pkg === 'object' && pkg !== null && 'scripts' in pkg ? pkg.scripts : undefined;
  if (typeof scripts !== 'object' || scripts === null || !('build' in scripts)) return null;
  const t0 = performance.now();
  const { child, tail: output } = spawnPiped('npm', ['run', '-s', 'build'], REPO_ROOT);
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('timeout');
    }, timeoutMs);
    child.once('error', () => {
      clearTimeout(timer);
      resolve({ code: null, signal: null });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  if (result === 'timeout' || result.code !== 0) {
    const why = result === 'timeout' ? `timed out after ${timeoutMs} ms` : `exit code ${result.code}, signal ${result.signal}`;
    throw new Error(`npm run build failed (${why})\n${output.toString()}`);
  }
  return performance.now() - t0;
}

export function writeGatewayConfig(dir: string, engine: Engine, maxSizeMB?: number): string {
  const file = path.join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    [
      ...BENCH_GATEWAY_YAML,
      'store:',
      '  dataDir: ./data',
      `  engine: ${engine}`,
      '  durability: full',
      '  maxQueuedPerClient: 1000000',
      ...(maxSizeMB === undefined ? [] : [`  maxSizeMB: ${maxSizeMB}`]),
      'mappings: []',
      '',
    ].join('\n'),
  );
  return file;
}

export interface DbSize {
  db: number;
  wal: number;
  shm: number;
}

function sizeOrZero(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export function dbSize(dir: string): DbSize {
  const db = path.join(dir, DATABASE_FILE);
  return { db: sizeOrZero(db), wal: sizeOrZero(`${db}-wal`), shm: sizeOrZero(`${db}-shm`) };
}

export async function startGateway(opts: GatewayStartOptions): Promise<RunningGateway> {
  const configFile = writeGatewayConfig(opts.dir, opts.engine, opts.maxSizeMB);
  const errors: string[] = [];
  let retainedAtOpen: number | undefined;
  let gw: LaunchedGateway;
  try {
    gw = await launchGateway({
      repoRoot: REPO_ROOT,
      configFile,
      startTimeoutMs: opts.startTimeoutMs,
      cpuProfDir: opts.cpuProfDir,
      onLog: (rec, line) => {
        opts.onLog?.(rec);
        if (typeof rec.level === 'number' && rec.level >= 50) errors.push(line);
        if (rec.msg === 'store open' && typeof rec.retained === 'number') retainedAtOpen = rec.retained;
      },
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${opts.engine} ${msg}`);
  }
  const { child, pid } = gw;
  return {
    engine: opts.engine,
    pid,
    port: gw.port,
    retainedAtOpen,
    startMs: gw.startMs,
    alive: () => isAlive(child),
    logTail: () => gw.tail.toString(),
    errors: () => [...errors],
    rssBytes: () => readRssBytes(pid),
    onExit: (fn) => {
      if (!isAlive(child)) {
        const t = setImmediate(() => fn(child.exitCode, child.signalCode));
        return () => clearImmediate(t);
      }
      child.once('exit', fn);
      return () => {
        child.off('exit', fn);
      };
    },
    stop: (graceMs) => stopProcess(child, 'SIGINT', graceMs),
  };
}
