/** RSS and CPU of the gateway process over a window, sampled from /proc once a second. */
import { availableParallelism } from 'node:os';
import { hostBusyCpuSeconds } from '../shared/proc-cpu.ts';
import type { GatewayProcess } from '../shared/measured-gateway.ts';
import { sleep } from '../shared/wait.ts';

export interface Footprint {
  windowS: number;
  /** VmRSS, bytes, once a second (and at both ends). */
  rss: number[];
  /** CPU seconds (every thread) / wall seconds × 100 over the window: % of one core. */
  cpuPct: number;
  /** The same, second by second. */
  cpuPctPerSecond: number[];
  /** Every process on the host, % of all cores: how busy the shared machine was. */
  hostBusyPct: number;
  threads: number;
}

export async function sampleFootprint(gw: GatewayProcess, windowMs: number): Promise<Footprint> {
  const t0 = performance.now();
  const cpu0 = gw.cpuSeconds();
  const host0 = hostBusyCpuSeconds();
  const rss = [gw.rssBytes()];
  const cpuPctPerSecond: number[] = [];
  let last = { at: t0, cpu: cpu0 };
  for (let k = 1; k * 1000 <= windowMs; k++) {
    await sleep(t0 + k * 1000 - performance.now());
    if (!gw.alive()) throw new Error(`the gateway exited during the window\n${gw.logTail()}`);
    const now = { at: performance.now(), cpu: gw.cpuSeconds() };
    rss.push(gw.rssBytes());
    cpuPctPerSecond.push(((now.cpu - last.cpu) / ((now.at - last.at) / 1000)) * 100);
    last = now;
  }
  const windowS = (last.at - t0) / 1000;
  return {
    windowS,
    rss,
    cpuPct: ((last.cpu - cpu0) / windowS) * 100,
    cpuPctPerSecond,
    hostBusyPct: ((hostBusyCpuSeconds() - host0) / windowS / availableParallelism()) * 100,
    threads: gw.threads(),
  };
}
