/** Child processes of the benches: liveness, the tail of their output, and a stop that escalates to SIGKILL. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { trackChild } from './cleanup.ts';

export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Keeps the last `max` lines written by a process. */
export class OutputTail {
  private readonly lines: string[] = [];
  constructor(private readonly max = 40) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

export interface PipedChild {
  child: ChildProcess;
  tail: OutputTail;
  /** Calls `onLine` for each stdout line (stdout is always drained). */
  onStdoutLine(fn: (line: string) => void): void;
}

/** Drains a child's piped stdout and stderr into the tail of its output; `onStdoutLine` sees each stdout line. */
export function tailOutput(child: ChildProcess, onStdoutLine?: (line: string) => void): OutputTail {
  const tail = new OutputTail();
  // Spawn/kill errors: keep them for the error report instead of crashing.
  child.on('error', (err) => tail.push(`[spawn error] ${err.message}`));
  if (child.stdout) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      tail.push(line);
      onStdoutLine?.(line);
    });
  }
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => tail.push(`[stderr] ${line}`));
  return tail;
}

/** Spawn a tracked process with stdout/stderr piped, drained and tail-buffered. */
export function spawnPiped(command: string, args: string[], cwd: string): PipedChild {
  const child = trackChild(spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
  const listeners: ((line: string) => void)[] = [];
  const tail = tailOutput(child, (line) => {
    for (const fn of listeners) fn(line);
  });
  return { child, tail, onStdoutLine: (fn) => listeners.push(fn) };
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** `signal` was not enough: it was killed. */
  forced: boolean;
  stopMs: number;
}

/** Send `signal`, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<StopResult> {
  const t0 = performance.now();
  if (!isAlive(child)) return { code: child.exitCode, signal: child.signalCode, forced: false, stopMs: 0 };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const first = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (first !== 'timeout') return { ...first, forced: false, stopMs: performance.now() - t0 };
  child.kill('SIGKILL');
  return { ...(await exited), forced: true, stopMs: performance.now() - t0 };
}
