import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BrokerHandle } from '../shared/broker-process.ts';
import { OutputTail, isAlive } from '../shared/process.ts';
import { trackChild } from '../shared/cleanup.ts';
import { parsePairsEvent, type PairsConfig, type PairsResult } from './pairs-protocol.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';

const GENERATOR = fileURLToPath(new URL('./pairs-generator.ts', import.meta.url));

export interface PairsPhase {
  result: PairsResult;
  /** Broker CPU seconds (utime+stime) during the measured part. */
  brokerCpuSec: number;
  /** Host-wide busy CPU seconds in the same interval (all processes), to spot outside load. */
  hostCpuSec: number;
}

export interface PhaseHooks {
  /** Runs once the load is warmed up and still running, before the measured part starts. */
  beforeGo?: () => Promise<void>;
  /** Runs as soon as the result arrives, before the load generator has disconnected. */
  atResult?: () => void;
}

/**
 * Run one measured phase of the pairs load against `broker` in a separate
 * load-generator process, and wait (bounded) for that process to exit so that
 * phases never overlap. `setupTimeoutMs` covers process start, connecting,
 * warm-up and `beforeGo`.
 */
export function runPairs(broker: BrokerHandle, cfg: PairsConfig, setupTimeoutMs: number, hooks: PhaseHooks = {}): Promise<PairsPhase> {
  const child = trackChild(
    spawn(process.execPath, ['--import', 'tsx', GENERATOR, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const stderr = new OutputTail(20);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));

  return new Promise<PairsPhase>((resolve, reject) => {
    let settled = false;
    let closed = false;
    let cpuBefore = 0;
    let hostBefore = 0;
    let timer = setTimeout(() => fail(`no "ready" within ${setupTimeoutMs} ms`), setupTimeoutMs);

    function fail(why: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (isAlive(child)) child.kill('SIGKILL');
      const tail = stderr.toString();
      reject(new Error(`${broker.name}: ${why}${tail ? `\n--- load generator stderr ---\n${tail}` : ''}`));
    }

    const go = async (): Promise<void> => {
      await hooks.beforeGo?.();
      if (settled) return;
      clearTimeout(timer);
      const limit = cfg.durationMs + 15_000;
      timer = setTimeout(() => fail(`no result within ${limit} ms`), limit);
      hostBefore = hostBusyCpuSeconds();
      cpuBefore = processTreeCpuSeconds(broker.pid);
      child.stdin?.write('go\n');
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
      const ev = parsePairsEvent(line);
      if (ev === null || settled) return;
      if (ev.event === 'error') return fail(ev.message);
      if (ev.event === 'ready') {
        go().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
        return;
      }
      settled = true;
      clearTimeout(timer);
      try {
        const brokerCpuSec = broker.alive() ? processTreeCpuSeconds(broker.pid) - cpuBefore : Number.NaN;
        const hostCpuSec = hostBusyCpuSeconds() - hostBefore;
        hooks.atResult?.();
        const done = (): void => resolve({ result: ev.result, brokerCpuSec, hostCpuSec });
        if (closed) return done();
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('close', () => {
          clearTimeout(killTimer);
          done();
        });
      } catch (err) {
        if (isAlive(child)) child.kill('SIGKILL');
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}
