import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AccessInput } from './acl-config.ts';
import { makeTempDir } from './cleanup.ts';
import { isAlive, spawnBroker, stopChild, type BrokerHandle } from './broker-process.ts';
import type { Credentials } from './mqtt-clients.ts';
import { startNodeFlags } from './start-flags.ts';

/** Config for the gateway: one TCP listener on an OS-chosen loopback port, no mappings, and `access` if given. */
export function gatewayConfigYaml(dataDir: string, access?: AccessInput): string {
  return [
    'id: bench',
    'log:',
    '  level: info', // needed for the "listener ready" line that carries the bound port
    'broker:',
    '  listeners:',
    '    - protocol: tcp',
    '      host: 127.0.0.1',
    '      port: 0',
    'store:',
    `  dataDir: ${JSON.stringify(dataDir)}`,
    'mappings: []',
    // JSON is YAML too.
    ...(access === undefined ? [] : [`access: ${JSON.stringify(access)}`]),
    '',
  ].join('\n');
}

/** Returns the bound port if `line` is the gateway's pino "listener ready" line for TCP. */
export function listenerPort(line: string): number | null {
  if (!line.includes('listener ready')) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const rec = v as Record<string, unknown>;
  if (rec.msg !== 'listener ready' || rec.protocol !== 'tcp') return null;
  return typeof rec.port === 'number' && rec.port > 0 ? rec.port : null;
}

export interface GatewayVariant {
  /** As reports name it (default "gateway"). */
  name?: string;
  access?: AccessInput;
  /** What clients log in with (a user of `access`); absent: anonymous. */
  credentials?: Credentials;
  /** Run under `node --cpu-prof`, writing the profile here when the gateway exits. */
  cpuProfDir?: string;
}

/**
 * Start the gateway as `npm start` does (`node <its flags> <bin> run --config <tmp>/gateway.yaml`) and wait
 * for its "listener ready" log line.
 */
export async function startGateway(bin: string, cwd: string, startTimeoutMs: number, variant: GatewayVariant = {}): Promise<BrokerHandle> {
  const dir = makeTempDir('uns-bench-gw-');
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(configFile, gatewayConfigYaml(path.join(dir, 'data'), variant.access));
  const profArgs = variant.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${variant.cpuProfDir}`];
  const proc = spawnBroker(process.execPath, [...startNodeFlags(cwd), ...profArgs, bin, 'run', '--config', configFile], cwd);
  const { child, tail } = proc;
  const stop = (): ReturnType<BrokerHandle['stop']> => stopChild(child, 5000, dir);

  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "listener ready" line within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gateway exited during startup (code ${code}, signal ${signal})`));
      });
      proc.onStdoutLine((line) => {
        const p = listenerPort(line);
        if (p !== null) {
          clearTimeout(timer);
          resolve(p);
        }
      });
    });
    if (child.pid === undefined) throw new Error('gateway has no pid');
    return {
      name: variant.name ?? 'gateway',
      pid: child.pid,
      port,
      credentials: variant.credentials,
      alive: () => isAlive(child),
      logTail: () => tail.toString(),
      stop,
    };
  } catch (err) {
    // Let the exit/readline events flush the last output lines first.
    await stop();
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`gateway failed to start: ${msg}\n--- gateway output (tail) ---\n${tail.toString()}`);
  }
}
