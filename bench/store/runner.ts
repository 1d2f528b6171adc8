import { fileURLToPath } from 'node:url';
import { runLoadChild } from '../shared/load-child.ts';
import { readRssBytes } from '../shared/proc-cpu.ts';
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

/** What a load runs against: a gateway, or Mosquitto (which has no exit watch). */
export type LoadTarget = Pick<RunningGateway, 'pid' | 'port' | 'alive' | 'logTail'> & {
  engine: string;
  onExit?: RunningGateway['onExit'];
};

type ResultOf<C extends StoreLoadConfig> = Extract<StoreLoadResult, { mode: C['mode'] }>;

/**
 * Runs one load phase in a separate load-generator process. `setupTimeoutMs`
 * covers process start, connecting and warm-up; `cfg.timeoutMs` + 10 s the rest.
 */
export async function runLoad<C extends StoreLoadConfig>(
  gw: LoadTarget,
  cfg: C,
  setupTimeoutMs: number,
): Promise<Measured<ResultOf<C>>> {
  const { result, cpuSec, hostCpuSec } = await runLoadChild({
    entry: LOADGEN,
    config: cfg,
    parse: parseLoadEvent,
    pid: gw.pid,
    setupTimeoutMs,
    resultTimeoutMs: cfg.timeoutMs + 10_000,
    exitGraceMs: 10_000,
    label: `${gw.engine} ${cfg.mode}`,
    failDetail: () => (gw.alive() ? '' : `\n--- ${gw.engine} gateway exited; output (tail) ---\n${gw.logTail()}`),
    watch: (fail) =>
      gw.onExit?.((code, signal) => fail(`the broker exited during the phase (code ${code}, signal ${signal}); not stopped by this benchmark`)) ??
      (() => undefined),
    atResult: (r) => (r.mode === cfg.mode ? undefined : `result for ${r.mode}, expected ${cfg.mode}`),
  });
  return { result: result as ResultOf<C>, gatewayCpuSec: cpuSec, hostCpuSec };
}

/** RSS of `pid` sampled every 10 ms until the returned function is called, which gives the peak in bytes. */
export function watchRssPeak(pid: number): () => number {
  let peak = readRssBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, readRssBytes(pid));
    } catch {
      // the process is gone; the phase reports that
    }
  }, 10);
  return () => {
    clearInterval(timer);
    return peak;
  };
}
