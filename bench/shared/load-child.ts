/**
 * Runs one measured phase in a load-generator child (`node --import tsx <entry> <config as JSON>`) and speaks
 * its stdout protocol (child-line.ts): wait for "ready", write "go", read the result, and measure the CPU the
 * process under test used in between. Waits (bounded) for the child to exit, so that phases never overlap.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ChildEvent } from './child-line.ts';
import { trackChild } from './cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from './proc-cpu.ts';
import { OutputTail, isAlive } from './process.ts';

export interface LoadChildOptions<R> {
  entry: string;
  config: unknown;
  parse(line: string): ChildEvent<R> | null;
  /** The process under test, whose CPU is measured. */
  pid: number;
  /** Whether it still runs; its CPU is NaN when it does not. */
  alive?: () => boolean;
  /** Covers process start, connecting, warm-up and `beforeGo`. */
  setupTimeoutMs: number;
  /** From "go" to the result. */
  resultTimeoutMs: number;
  /** After the result, how long the child may take to disconnect and exit before it is killed. */
  exitGraceMs: number;
  /** Starts every error message. */
  label: string;
  /** Appended to every error message. */
  failDetail?: () => string;
  /** Calls `fail` if something else ends the phase (the process under test exiting); returns a cancel. */
  watch?: (fail: (why: string) => void) => () => void;
  /** Runs once the load is warmed up and still running, before the measured part starts. */
  beforeGo?: () => Promise<void>;
  /** Runs as soon as the result arrives, before the child has disconnected: why the result is wrong, if it is. */
  atResult?: (result: R) => string | undefined;
}

export interface LoadChildOutcome<R> {
  result: R;
  /** CPU seconds (utime+stime) of the process under test during the measured part. */
  cpuSec: number;
  /** Host-wide busy CPU seconds in the same interval (all processes), to spot outside load. */
  hostCpuSec: number;
}

export function runLoadChild<R>(options: LoadChildOptions<R>): Promise<LoadChildOutcome<R>> {
  const child = trackChild(
    spawn(process.execPath, ['--import', 'tsx', options.entry, JSON.stringify(options.config)], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const stderr = new OutputTail(20);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));
  const alive = options.alive ?? (() => true);

  return new Promise<LoadChildOutcome<R>>((resolve, reject) => {
    let settled = false;
    let closed = false;
    let cpuBefore = 0;
    let hostBefore = 0;
    let timer = setTimeout(() => fail(`no "ready" within ${options.setupTimeoutMs} ms`), options.setupTimeoutMs);
    const cancelWatch = options.watch?.((why) => fail(why)) ?? (() => undefined);

    function fail(why: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cancelWatch();
      if (isAlive(child)) child.kill('SIGKILL');
      const tail = stderr.toString();
      reject(new Error(`${options.label}: ${why}${tail ? `\n--- load generator stderr ---\n${tail}` : ''}${options.failDetail?.() ?? ''}`));
    }

    const go = async (): Promise<void> => {
      await options.beforeGo?.();
      if (settled) return;
      clearTimeout(timer);
      timer = setTimeout(() => fail(`no result within ${options.resultTimeoutMs} ms`), options.resultTimeoutMs);
      hostBefore = hostBusyCpuSeconds();
      cpuBefore = processTreeCpuSeconds(options.pid);
      child.stdin?.write('go\n');
    };

    const finish = (result: R): void => {
      const cpuSec = alive() ? processTreeCpuSeconds(options.pid) - cpuBefore : Number.NaN;
      const hostCpuSec = hostBusyCpuSeconds() - hostBefore;
      const wrong = options.atResult?.(result);
      if (wrong !== undefined) return fail(wrong);
      settled = true;
      clearTimeout(timer);
      cancelWatch();
      const done = (): void => resolve({ result, cpuSec, hostCpuSec });
      if (closed) return done();
      const killTimer = setTimeout(() => child.kill('SIGKILL'), options.exitGraceMs);
      child.once('close', () => {
        clearTimeout(killTimer);
        done();
      });
    };

    child.once('error', (err) => fail(err.message));
    // 'close' (not 'exit'): stdout has been fully read by then, so a final result line is not missed.
    child.once('close', (code, signal) => {
      closed = true;
      fail(`load generator exited early (code ${code}, signal ${signal})`);
    });
    child.stdin?.on('error', () => undefined); // EPIPE if the child died; reported via 'close'
    if (!child.stdout) return fail('no stdout pipe');

    createInterface({ input: child.stdout }).on('line', (line) => {
      const ev = options.parse(line);
      if (ev === null || settled) return;
      if (ev.event === 'error') return fail(ev.message);
      if (ev.event === 'ready') {
        go().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
        return;
      }
      try {
        finish(ev.result);
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      }
    });
  });
}
