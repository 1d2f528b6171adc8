/**
 * The gateway under test as a process, started as an npm start script does (`node <its flags> [--cpu-prof …]
 * bin/uns-gateway.js run --config <file>`): waits for its "listener ready" log line and hands every JSON log
 * line to the caller. Every bench that runs the gateway as a process starts it here.
 */
import path from 'node:path';
import { parseJsonRecord } from './child-line.ts';
import { spawnPiped, stopProcess, type PipedChild } from './process.ts';
import { startNodeFlags } from './start-flags.ts';

/** A bench gateway's HTTP listener (/metrics, /healthz): on an OS-chosen loopback port, so that several may run. */
export const BENCH_HTTP_YAML = 'http: { host: 127.0.0.1, port: 0 }';

/**
 * The start of every bench gateway's config: id `bench`, one TCP listener on an OS-chosen loopback port, log
 * level info, at which the "listener ready" line that carries the bound port is logged, and BENCH_HTTP_YAML.
 */
export const BENCH_GATEWAY_YAML: readonly string[] = [
  'id: bench',
  'log:',
  '  level: info',
  'broker:',
  '  listeners:',
  '    - protocol: tcp',
  '      host: 127.0.0.1',
  '      port: 0',
  BENCH_HTTP_YAML,
];

export interface GatewayLaunch {
  repoRoot: string;
  configFile: string;
  startTimeoutMs: number;
  /** Gateway entry point (default <repoRoot>/bin/uns-gateway.js). */
  bin?: string | undefined;
  /** The npm script whose node flags the gateway runs with (default start). */
  script?: string | undefined;
  /** Run under `node --cpu-prof`, profiles (one per thread) written here on exit. */
  cpuProfDir?: string | undefined;
  /** Prepended to the command line: `prlimit --nofile=…` (which execs node, so the pid stays the gateway's). */
  wrapper?: string[] | undefined;
  /** Called with every JSON log line, from the first one on. */
  onLog?: ((record: Record<string, unknown>, line: string) => void) | undefined;
}

export interface LaunchedGateway extends PipedChild {
  pid: number;
  /** Bound MQTT TCP port. */
  port: number;
  /** Spawn to "listener ready", ms. */
  startMs: number;
}

/** The bound port if `record` is the gateway's "listener ready" line for TCP. */
export function listenerPort(record: Record<string, unknown>): number | null {
  if (record.msg !== 'listener ready' || record.protocol !== 'tcp') return null;
  return typeof record.port === 'number' && record.port > 0 ? record.port : null;
}

export async function launchGateway(options: GatewayLaunch): Promise<LaunchedGateway> {
  const bin = options.bin ?? path.join(options.repoRoot, 'bin', 'uns-gateway.js');
  const profArgs = options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
  const nodeArgs = [...startNodeFlags(options.repoRoot, options.script), ...profArgs, bin, 'run', '--config', options.configFile];
  const [command, ...args] = [...(options.wrapper ?? []), process.execPath, ...nodeArgs] as [string, ...string[]];
  const t0 = performance.now();
  const proc = spawnPiped(command, args, options.repoRoot);
  const { child, tail } = proc;
  let onListener: ((port: number) => void) | undefined;
  proc.onStdoutLine((line) => {
    const record = parseJsonRecord(line);
    if (record === null) return;
    options.onLog?.(record, line);
    const port = listenerPort(record);
    if (port !== null) onListener?.(port);
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listener ready" line within ${options.startTimeoutMs} ms`)), options.startTimeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited during startup (code ${code}, signal ${signal})`));
      });
      onListener = (p) => {
        onListener = undefined;
        clearTimeout(timer);
        resolve(p);
      };
    });
    if (child.pid === undefined) throw new Error('gateway has no pid');
    return { ...proc, pid: child.pid, port, startMs: performance.now() - t0 };
  } catch (err) {
    // Let the exit/readline events flush the last output lines first.
    await stopProcess(child, 'SIGINT', 3000);
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`gateway failed to start: ${msg}\n--- gateway output (tail) ---\n${tail.toString()}`);
  }
}
