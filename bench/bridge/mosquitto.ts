/**
 * A Mosquitto broker on a fixed loopback port that can be stopped and started again on it (the upstream
 * a bridge reconnects to), optionally with more config lines (a bridge section). Anonymous access; its
 * config and persistence live in a temp dir that `remove` deletes. Processes are tracked by
 * bench/shared/cleanup.ts, so they are killed even when the bench fails.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { freePort } from '../../test/helpers/free-port.ts';
import { makeTempDir, removeTempDir, trackChild } from '../shared/cleanup.ts';
import { OutputTail, isAlive, stopProcess } from '../shared/process.ts';
import { waitForPort } from '../shared/wait-for-port.ts';
import { START_TIMEOUT_MS } from './options.ts';

export interface MosquittoOptions {
  /** Global options (max_queued_messages …), before `bridge`. */
  globals?: readonly string[];
  persistence?: boolean;
  /** A bridge section (`connection …`), last in the file. */
  bridge?: readonly string[];
  /** Log connections too (`log_type notice`), for `onLog`. */
  logConnects?: boolean;
}

export class Mosquitto {
  private child: ChildProcess | undefined;
  private tail: OutputTail | undefined;
  private readonly listeners: Array<(line: string) => void> = [];

  private constructor(
    private readonly bin: string,
    readonly name: string,
    readonly port: number,
    private readonly dir: string,
  ) {}

  /** Writes its config; does not start it. */
  static async create(bin: string, name: string, options: MosquittoOptions = {}): Promise<Mosquitto> {
    const port = await freePort();
    const dir = makeTempDir(`uns-bench-bridge-${name}-`);
    const lines = [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `user ${userInfo().username}`,
      `persistence ${options.persistence === true ? 'true' : 'false'}`,
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      ...(options.logConnects === true ? ['log_type notice'] : []),
      ...(options.globals ?? []),
      ...(options.bridge ?? []),
      '',
    ];
    writeFileSync(path.join(dir, 'mosquitto.conf'), lines.join('\n'));
    return new Mosquitto(bin, name, port, dir);
  }

  logTail(): string {
    return this.tail?.toString() ?? '';
  }

  /** Calls `fn` with every line it logs, from its next start on. */
  onLog(fn: (line: string) => void): void {
    this.listeners.push(fn);
  }

  /** Starts it and waits until its port accepts connections. */
  async start(): Promise<void> {
    // Its log goes to stderr, which C's stdio does not buffer: each line arrives as it is written.
    const child = trackChild(spawn(this.bin, ['-c', path.join(this.dir, 'mosquitto.conf')], { cwd: this.dir, stdio: ['ignore', 'ignore', 'pipe'] }));
    const tail = new OutputTail();
    child.on('error', (err) => tail.push(`[spawn error] ${err.message}`));
    if (child.stderr) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        tail.push(line);
        for (const fn of this.listeners) fn(line);
      });
    }
    this.child = child;
    this.tail = tail;
    try {
      await waitForPort(this.port, START_TIMEOUT_MS, () => isAlive(child));
    } catch (err) {
      throw new Error(`${this.name} (mosquitto) did not start: ${(err as Error).message}\n${tail.toString()}`);
    }
  }

  /** SIGTERM (Mosquitto saves its persistence file then), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child !== undefined) await stopProcess(child, 'SIGTERM', 10_000);
  }

  async remove(): Promise<void> {
    await this.stop();
    removeTempDir(this.dir);
  }
}
