import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BrokerHandle } from '../shared/broker-process.ts';
import { OutputTail, isAlive } from '../shared/process.ts';
import { trackChild } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { parseGeneratorEvent, type LoadConfig, type PhaseResult } from './protocol.ts';

const GENERATOR = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

export interface PhaseMeasurement {
  result: PhaseResult;
  /** Broker CPU seconds (utime+stime) consumed during the measured part only. */
  brokerCpuSec: number;
  /** Messages the broker handled in that time (received by the subscriber). */
  messages: number;
  /** Host-wide busy CPU seconds in the same interval (all processes), to spot outside load. */
  hostCpuSec: number;
}

/**
 * Run one load phase against `broker` in a separate load-generator process.
 * Broker CPU is sampled from /proc after the child reports `ready` and after
 * it reports its result, so connecting and warm-up are not counted.
 * `setupTimeoutMs` covers process start, connecting and warm-up;
 * `cfg.timeoutMs` (+ a margin) covers the measured part.
 */
export function runPhase(broker: BrokerHandle, cfg: LoadConfig, setupTimeoutMs: number): Promise<PhaseMeasurement> {
  const child = trackChild(
    spawn(process.execPath, ['--import', 'tsx', GENERATOR, JSON.stringify(cfg)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    }),
  );
  const stderr = new OutputTail(20);
  if (child.stderr) createInterface({ input: child.stderr }).on('line', (l) => stderr.push(l));

  return new Promise<PhaseMeasurement>((resolve, reject) => {
    let cpuBefore = 0;
    let hostBefore = 0;
    let settled = false;
    let timer = setTimeout(() => fail(`no "ready" within ${setupTimeoutMs} ms`), setupTimeoutMs);

    function fail(why: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (isAlive(child)) child.kill('SIGKILL');
      const tail = stderr.toString();
      reject(new Error(`${broker.name} ${cfg.phase}: ${why}${tail ? `\n--- load generator stderr ---\n${tail}` : ''}`));
    }

    child.once('error', (err) => fail(err.message));
    // 'close' (not 'exit'): stdout has been fully read by then, so a final result line is not missed.
    let closed = false;
    child.once('close', (code, signal) => {
      closed = true;
      fail(`load generator exited early (code ${code}, signal ${signal})`);
    });
    child.stdin?.on('error', () => undefined); // EPIPE if the child died; reported via 'exit'

    if (!child.stdout) return fail('no stdout pipe');
    createInterface({ input: child.stdout }).on('line', (line) => {
      const ev = parseGeneratorEvent(line);
      if (ev === null || settled) return;
      try {
        if (ev.event === 'error') {
          fail(ev.message);
        } else if (ev.event === 'ready') {
          clearTimeout(timer);
          timer = setTimeout(() => fail(`no result within ${cfg.timeoutMs + 5000} ms`), cfg.timeoutMs + 5000);
          hostBefore = hostBusyCpuSeconds();
          cpuBefore = processTreeCpuSeconds(broker.pid);
          child.stdin?.write('go\n');
        } else {
          const brokerCpuSec = processTreeCpuSeconds(broker.pid) - cpuBefore;
          const hostCpuSec = hostBusyCpuSeconds() - hostBefore;
          const r = ev.result;
          settled = true;
          clearTimeout(timer);
          const done = (): void => resolve({ result: r, brokerCpuSec, hostCpuSec, messages: r.phase === 'fanin' ? r.received : r.samples });
          // The child disconnects and exits by itself; wait for that (bounded) so phases never overlap.
          if (closed) return done();
          const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('close', () => {
            clearTimeout(killTimer);
            done();
          });
        }
      } catch (err) {
        fail(err instanceof Error ? err.message : String(err));
      }
    });
  });
}
