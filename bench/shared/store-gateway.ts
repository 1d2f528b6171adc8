/**
 * Starts the gateway (`node bin/uns-gateway.js run --config <dir>/gateway.yaml`)
 * with a given store engine, stops it with SIGINT, and reads its RSS and
 * database size. The config dir (and so the data dir) outlives a stop, so the
 * same store can be restarted; the caller removes the dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { trackChild } from './cleanup.ts';
import { startNodeFlags } from './start-flags.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const GATEWAY_BIN = path.join(REPO_ROOT, 'bin', 'uns-gateway.js');
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

export interface StopOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** SIGINT was not enough: it was killed. */
  forced: boolean;
  stopMs: number;
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
  stop(graceMs: number): Promise<StopOutcome>;
}

class Tail {
  private readonly lines: string[] = [];
  constructor(private readonly max: number) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  toString(): string {
    return this.lines.join('\n');
  }
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
  const child = trackChild(spawn('npm', ['run', '-s', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  const output = new Tail(40);
  if (child.stdout) createInterface({ input: child.stdout }).on('line', (l) => output.push(l));
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => output.push(l));
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
      'id: bench',
      'log:',
      '  level: info', // the "listener ready" line carries the bound port
      'broker:',
      '  listeners:',
      '    - protocol: tcp',
      '      host: 127.0.0.1',
      '      port: 0',
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

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function parseJson(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m?.[1]) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
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
  const nodeArgs = opts.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`];
  const t0 = performance.now();
  const child = trackChild(
    spawn(process.execPath, [...startNodeFlags(REPO_ROOT), ...nodeArgs, GATEWAY_BIN, 'run', '--config', configFile], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const tail = new Tail(40);
  const errors: string[] = [];
  let port = 0;
  let retainedAtOpen: number | undefined;
  let onReady: (() => void) | null = null;

  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      tail.push(line);
      const rec = parseJson(line);
      if (rec === null) return;
      opts.onLog?.(rec);
      if (typeof rec.level === 'number' && rec.level >= 50) errors.push(line);
      if (rec.msg === 'store open' && typeof rec.retained === 'number') retainedAtOpen = rec.retained;
      if (rec.msg === 'listener ready' && rec.protocol === 'tcp' && typeof rec.port === 'number' && port === 0) {
        port = rec.port;
        onReady?.();
      }
    });
  }
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => tail.push(line));

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const stop = async (graceMs: number): Promise<StopOutcome> => {
    const t = performance.now();
    if (!isAlive(child)) return { ...(await exited), forced: false, stopMs: 0 };
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const first = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (first !== 'timeout') return { ...first, forced: false, stopMs: performance.now() - t };
    child.kill('SIGKILL');
    return { ...(await exited), forced: true, stopMs: performance.now() - t };
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "listener ready" line within ${opts.startTimeoutMs} ms`)),
        opts.startTimeoutMs,
      );
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      void exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited during startup (code ${code}, signal ${signal})`));
      });
      onReady = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  } catch (err) {
    await stop(3000);
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${opts.engine} gateway failed to start: ${msg}\n--- gateway output (tail) ---\n${tail.toString()}`);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('gateway has no pid');
  return {
    engine: opts.engine,
    pid,
    port,
    retainedAtOpen,
    startMs: performance.now() - t0,
    alive: () => isAlive(child),
    logTail: () => tail.toString(),
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
    stop,
  };
}
