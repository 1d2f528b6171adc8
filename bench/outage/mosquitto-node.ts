/**
 * A Mosquitto process that can be stopped (SIGTERM or SIGKILL) and started again on the same port with the
 * same config and persistence folder: the upstream, and the Mosquitto edge of setup (a).
 */
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { waitForPort } from '../shared/wait-for-port.ts';
import { isAlive, spawnPiped, stopProcess, type OutputTail, type StopResult } from '../shared/process.ts';

export interface MosquittoNode {
  readonly name: string;
  readonly port: number;
  start(): Promise<void>;
  /** Sends `signal` (SIGKILL after 10 s) and waits for the exit; null when it was not running. */
  stop(signal: NodeJS.Signals): Promise<StopResult | null>;
  logTail(): string;
}

/**
 * `lines` are appended to a config with one loopback listener, anonymous access, persistence in `dir` and
 * `user <current user>` (as root, Mosquitto otherwise switches to the user mosquitto, who cannot write `dir`).
 */
export function mosquittoNode(bin: string, name: string, dir: string, port: number, lines: readonly string[]): MosquittoNode {
  const conf = path.join(dir, `${name}.conf`);
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `user ${userInfo().username}`,
      'persistence true',
      `persistence_location ${dir}/`,
      `persistence_file ${name}.db`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...lines,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let tail: OutputTail | undefined;
  return {
    name,
    port,
    async start() {
      const proc = spawnPiped(bin, ['-c', conf], dir);
      child = proc.child;
      tail = proc.tail;
      const started = proc.child;
      try {
        await waitForPort(port, 10_000, () => isAlive(started));
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        throw new Error(`${name} (mosquitto) did not start on ${port}: ${msg}\n${proc.tail.toString()}`);
      }
    },
    async stop(signal) {
      const result = child === undefined ? null : await stopProcess(child, signal, 10_000);
      child = undefined;
      return result;
    },
    logTail: () => tail?.toString() ?? '',
  };
}
