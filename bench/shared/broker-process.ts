import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { removeTempDir, trackChild } from './cleanup.ts';
import type { Credentials } from './mqtt-clients.ts';

/** A running broker under test. */
export interface BrokerHandle {
  name: string;
  pid: number;
  port: number;
  /** What clients log in with; undefined: anonymous. */
  credentials?: Credentials | undefined;
  alive(): boolean;
  /** Last lines the broker wrote (stdout+stderr), for error messages. */
  logTail(): string;
  /** SIGTERM, then SIGKILL after a grace period; removes its temp dir. */
  stop(): Promise<StopResult>;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  forced: boolean;
}

/** Keeps the last `max` lines written by a process. */
export class OutputTail {
  private readonly lines: string[] = [];
  constructor(private readonly max = 30) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

export interface SpawnedBroker {
  child: ChildProcess;
  tail: OutputTail;
  /** Calls `onLine` for each stdout line (stdout is always drained). */
  onStdoutLine(fn: (line: string) => void): void;
}

/** Spawn a broker process with stdout/stderr piped, drained and tail-buffered. */
export function spawnBroker(command: string, args: string[], cwd: string): SpawnedBroker {
  const child = trackChild(spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  const tail = new OutputTail();
  // Spawn/kill errors: keep them for the error report instead of crashing.
  child.on('error', (err) => tail.push(`[spawn error] ${err.message}`));
  const listeners: ((line: string) => void)[] = [];
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      tail.push(line);
      for (const fn of listeners) fn(line);
    });
  }
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => tail.push(line));
  return { child, tail, onStdoutLine: (fn) => listeners.push(fn) };
}

export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Stop a child politely, escalating to SIGKILL after `graceMs`; then delete `tempDir`. */
export async function stopChild(child: ChildProcess, graceMs: number, tempDir: string): Promise<StopResult> {
  try {
    if (!isAlive(child)) {
      return { code: child.exitCode, signal: child.signalCode, forced: false };
    }
    const exited = new Promise<StopResult>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal, forced: false })),
    );
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const first = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    child.kill('SIGKILL');
    const r = await exited;
    return { ...r, forced: true };
  } finally {
    removeTempDir(tempDir);
  }
}
