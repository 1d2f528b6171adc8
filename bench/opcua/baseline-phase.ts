/**
 * One measured load of the bare-client baseline, with the same warm-up, window and drain as the
 * gateway's (bench/opcua/gateway-phase.ts): the values it received and its CPU (process, every thread).
 */
import { hostBusyCpuSeconds, processTreeCpuSeconds } from '../shared/proc-cpu.ts';
import { fmtInt } from '../shared/table.ts';
import { sleep } from '../shared/wait.ts';
import type { BaselineProcess } from './baseline-client.ts';
import type { TallySummary } from './baseline-protocol.ts';
import { progress } from './progress.ts';
import { LOADS, type Options } from './options.ts';
import type { OpcuaServerProcess } from './server-client.ts';

export interface BaselineResult {
  name: string;
  windowS: number;
  /** Changes the server made in the window's ticks, and per second. */
  changes: number;
  changesPerS: number;
  /** Data change notifications the bare client received during the window (any tick). */
  valuesInWindow: number;
  /** The bare client's CPU in the window (user + system, every thread). */
  cpuSeconds: number;
  serverCpuSeconds: number;
  hostBusySeconds: number;
  tally: TallySummary;
  drainMs: number;
}

function exitedError(baseline: BaselineProcess, server: OpcuaServerProcess, when: string): Error {
  const which = [baseline.alive() ? '' : 'the bare client', server.alive() ? '' : 'the OPC UA server'].filter((s) => s !== '').join(' and ');
  return new Error(`${which} exited ${when}\n--- bare client (tail) ---\n${baseline.logTail()}\n--- OPC UA server (tail) ---\n${server.logTail()}`);
}

export async function runBaselinePhase(options: Options, server: OpcuaServerProcess, baseline: BaselineProcess, name: string): Promise<BaselineResult> {
  const load = LOADS[name];
  if (load === undefined) throw new Error(`unknown load ${name}`);
  const alive = (): boolean => baseline.alive() && server.alive();
  progress(`load "${name}", bare client: warm-up ${options.warmupMs / 1000} s, window ${options.windowMs / 1000} s`);
  server.setLoad(load.pattern);
  await sleep(options.warmupMs);
  if (!alive()) throw exitedError(baseline, server, 'during the warm-up');

  const before = await server.counts();
  baseline.open(before.ticks + 1);
  const values0 = (await baseline.counts()).values;
  const cpu0 = processTreeCpuSeconds(baseline.pid);
  const srv0 = processTreeCpuSeconds(server.pid);
  const host0 = hostBusyCpuSeconds();
  const t0 = Date.now();
  await sleep(options.windowMs);
  if (!alive()) throw exitedError(baseline, server, 'during the window');
  const after = await server.counts();
  const t1 = Date.now();
  const cpuSeconds = processTreeCpuSeconds(baseline.pid) - cpu0;
  const serverCpuSeconds = processTreeCpuSeconds(server.pid) - srv0;
  const hostBusySeconds = hostBusyCpuSeconds() - host0;
  baseline.windowEnd(after.ticks);
  const valuesInWindow = (await baseline.counts()).values - values0;

  server.setLoad(null);
  const stopAt = Date.now();
  const changes = after.changes - before.changes;
  // As for the gateway: until all arrived, or nothing arrived for 1.5 s, or 5 s.
  let last = await baseline.counts();
  while ((last.tally?.delivered ?? 0) < changes && Date.now() - Math.max(last.lastValueAt, stopAt) <= 1500 && Date.now() - stopAt <= 5000) {
    if (!alive()) throw exitedError(baseline, server, 'after the window');
    await sleep(100);
    last = await baseline.counts();
  }
  baseline.close();
  const tally = last.tally;
  if (tally === undefined) throw new Error('the bare client has no tally for the phase');
  const windowS = (t1 - t0) / 1000;
  progress(`load "${name}", bare client: ${fmtInt(valuesInWindow / windowS)} values/s`);
  return {
    name,
    windowS,
    changes,
    changesPerS: changes / ((after.at - before.at) / 1000),
    valuesInWindow,
    cpuSeconds,
    serverCpuSeconds,
    hostBusySeconds,
    tally,
    drainMs: Math.max(0, tally.lastDelivery - stopAt),
  };
}
