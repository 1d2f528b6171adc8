import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { trackChild } from '../shared/cleanup.ts';
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { isAlive } from '../shared/process.ts';
import type { RunningGateway } from '../shared/store-gateway.ts';
import { parseLoadEvent, type StoreLoadConfig, type StoreLoadResult } from './protocol.ts';

const LOADGEN = fileURLToPath(new URL('./loadgen.ts', import.meta.url));

export interface Measured<R extends StoreLoadResult> {
  result: R;
  /** Gateway CPU seconds during the measured part (between "go" and the result). */
  gatewayCpuSec: number;
  /** Host-wide busy CPU seconds (all processes, incl. steal) in the same interval. */
  hostCpuSec: number;
}

type ResultOf<C extends StoreLoadConfig> = Extract<StoreLoadResult, { mode: C['mode'] }>;

/**
 * Runs one load phase in a separate load-generator process. `setupTimeoutMs`
 * covers process start, connecting and warm-up; `cfg.timeoutMs` + 10 s the rest.
 */
export function runLoad<C extends StoreLoadConfig>(
  gw: RunningGateway,
  cfg: C,
  setupTimeoutMs: number,
): Promise<Measured<ResultOf<C>>> {
  const child = trackChild(
    spawn(process.execPath, ['--import', 'tsx', LOADGEN, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const stderr: string[] = [];
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (l) => {
      stderr.push(l);
      if (stderr.length > 20) stderr.shift();
    });
  }

  return new Promise((resolve, reject) => {
    let settled = false;
    let cpuBefore = 0;
    let hostBefore = 0;
    let timer = setTimeout(() => fail(`no "ready" within ${setupTimeoutMs} ms`), setupTimeoutMs);

    const cancelExitWatch = gw.onExit((code, signal) =>
      fail(`the gateway exited during the phase (code ${code}, signal ${signal}); not stopped by this benchmark`),
    );

    function fail(why: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      cancelExitWatch();
      if (isAlive(child)) child.kill('SIGKILL');
      const tail = stderr.join('\n');
      const gwState = gw.alive() ? '' : `\n--- ${gw.engine} gateway exited; output (tail) ---\n${gw.logTail()}`;
      reject(new Error(`${gw.engine} ${cfg.mode}: ${why}${tail ? `\n--- load generator stderr ---\n${tail}` : ''}${gwState}`));
    }

    child.once('error', (err) => fail(err.message));
    let closed = false;
    // 'close', not 'exit': stdout is fully read by then, so a last result line is not missed.
    child.once('close', (code, signal) => {
      closed = true;
      fail(`load generator exited early (code ${code}, signal ${signal})`);
    });
    child.stdin?.on('error', () => undefined); // EPIPE if the child died; reported via 'close'
    if (!child.stdout) return fail('no stdout pipe');

    createInterface({ input: child.stdout }).on('line', (line) => {
      const ev = parseLoadEvent(line);
      if (ev === null || settled) return;
      try {
        if (ev.event === 'error') {
          fail(ev.message);
        } else if (ev.event === 'ready') {
          clearTimeout(timer);
          timer = setTimeout(() => fail(`no result within ${cfg.timeoutMs + 10_000} ms`), cfg.timeoutMs + 10_000);
          hostBefore = hostBusyCpuSeconds();
          cpuBefore = processTreeCpuSeconds(gw.pid);
          child.stdin?.write('go\n');
        } else {
          const gatewayCpuSec = processTreeCpuSeconds(gw.pid) - cpuBefore;
          const hostCpuSec = hostBusyCpuSeconds() - hostBefore;
          if (ev.result.mode !== cfg.mode) return fail(`result for ${ev.result.mode}, expected ${cfg.mode}`);
          settled = true;
          clearTimeout(timer);
          cancelExitWatch();
          const result = ev.result as ResultOf<C>;
          const done = (): void => resolve({ result, gatewayCpuSec, hostCpuSec });
          // The child disconnects and exits by itself; wait for that (bounded) so phases never overlap.
          if (closed) return done();
          const killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
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
