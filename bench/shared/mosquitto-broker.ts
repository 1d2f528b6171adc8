import { accessSync, constants, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir } from './cleanup.ts';
import { freePort } from '../../test/helpers/free-port.ts';
import { waitForPort } from './wait-for-port.ts';
import { stopBroker, type BrokerHandle } from './broker-process.ts';
import { isAlive, spawnPiped } from './process.ts';

/** Absolute path of `mosquitto` if it is an executable on PATH, else null. */
export function findMosquitto(): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'mosquitto');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Start Mosquitto on an ephemeral loopback port with anonymous access and no persistence, plus `extraConfig` lines. */
export async function startMosquitto(bin: string, startTimeoutMs: number, extraConfig: readonly string[] = []): Promise<BrokerHandle> {
  const dir = makeTempDir('uns-bench-mosq-');
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...extraConfig,
      '',
    ].join('\n'),
  );
  const { child, tail } = spawnPiped(bin, ['-c', conf], dir);
  const stop = (): ReturnType<BrokerHandle['stop']> => stopBroker(child, 5000, dir);
  try {
    const failed = new Promise<never>((_, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) =>
        reject(new Error(`mosquitto exited during startup (code ${code}, signal ${signal})`)),
      );
    });
    failed.catch(() => undefined); // it also rejects on the normal exit at stop()
    await Promise.race([waitForPort(port, startTimeoutMs, () => isAlive(child)), failed]);
    if (child.pid === undefined) throw new Error('mosquitto has no pid');
    return {
      name: 'mosquitto',
      pid: child.pid,
      port,
      alive: () => isAlive(child),
      logTail: () => tail.toString(),
      stop,
    };
  } catch (err) {
    await stop();
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`mosquitto failed to start: ${msg}\n--- mosquitto output (tail) ---\n${tail.toString()}`);
  }
}
