/** One measured load of the gateway: warm-up, a steady-state window, and the drain of the window's changes. */
import { processTreeCpuSeconds, hostBusyCpuSeconds } from '../shared/proc-cpu.ts';
import { monotonicNowUs } from '../shared/cpu-profile.ts';
import type { GatewayProcess } from '../shared/measured-gateway.ts';
import { fmtInt } from '../shared/table.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { MsHistogram } from './change-tally.ts';
import type { PhaseResult } from './measurements.ts';
import { LOADS, type Options } from './options.ts';
import { statusField, threadCpuSeconds, threadDelta } from './proc.ts';
import type { OpcuaServerProcess } from './server-client.ts';
import type { OpcuaSubscriber } from './subscriber.ts';
import { progress } from './progress.ts';

export interface Context {
  options: Options;
  server: OpcuaServerProcess;
  gateway: GatewayProcess;
  subscriber: OpcuaSubscriber;
}

export function alive(ctx: Context): boolean {
  return ctx.gateway.alive() && ctx.server.alive();
}

/** The error for a child that went away, with what it said last. */
export function exitedError(ctx: Context, when: string): Error {
  const tail = ctx.gateway.logTail();
  const signalled = /"msg":"stopping"/.test(tail) ? ' (the gateway logged "stopping": something outside this benchmark sent it a signal)' : '';
  const which = [ctx.gateway.alive() ? '' : 'the gateway', ctx.server.alive() ? '' : 'the OPC UA server'].filter((s) => s !== '').join(' and ');
  return new Error(`${which} exited ${when}${signalled}\n--- gateway (tail) ---\n${tail}\n--- OPC UA server (tail) ---\n${ctx.server.logTail()}`);
}

export async function runPhase(ctx: Context, name: string): Promise<PhaseResult> {
  const load = LOADS[name];
  if (load === undefined) throw new Error(`unknown load ${name}`);
  const { options, server, gateway, subscriber } = ctx;
  const changesPerS = (options.items / load.pattern.every) * (1000 / load.pattern.tickMs);
  progress(`load "${name}" (${load.label}: ${fmtInt(changesPerS)} changes/s): warm-up ${options.warmupMs / 1000} s, window ${options.windowMs / 1000} s`);
  server.setLoad(load.pattern);
  await sleep(options.warmupMs);
  if (!alive(ctx)) throw exitedError(ctx, 'during the warm-up');

  const before = await server.counts();
  const tally = subscriber.tracker.openPhase(before.ticks + 1);
  const receiptLatency = new MsHistogram();
  subscriber.tracker.receiptLatency = receiptLatency;
  const gw0 = gateway.cpuSeconds();
  const threads0 = threadCpuSeconds(gateway.pid);
  const srv0 = processTreeCpuSeconds(server.pid);
  const bench0 = process.cpuUsage();
  const host0 = hostBusyCpuSeconds();
  const mono0 = monotonicNowUs();
  const t0 = Date.now();
  const messages0 = subscriber.valueMessages;
  const rssSamples: number[] = [gateway.rssBytes()];
  const rssTimer = setInterval(() => {
    const rss = statusField(gateway.pid, 'VmRSS') * 1024; // NaN once the gateway is gone
    if (Number.isFinite(rss)) rssSamples.push(rss);
  }, 1000);
  await sleep(options.windowMs);
  clearInterval(rssTimer);
  if (!alive(ctx)) throw exitedError(ctx, 'during the window');
  const after = await server.counts();
  tally.toTick = after.ticks;
  subscriber.tracker.receiptLatency = undefined;
  const t1 = Date.now();
  const mono1 = monotonicNowUs();
  const gatewayCpuSeconds = gateway.cpuSeconds() - gw0;
  const gatewayThreads = threadDelta(threads0, threadCpuSeconds(gateway.pid));
  const serverCpuSeconds = processTreeCpuSeconds(server.pid) - srv0;
  const benchCpu = process.cpuUsage(bench0);
  const hostBusySeconds = hostBusyCpuSeconds() - host0;
  const messagesInWindow = subscriber.valueMessages - messages0;
  rssSamples.push(gateway.rssBytes());

  // Stop changing and wait for the window's last changes to come through: until all arrived, or
  // nothing at all arrived for 1.5 s (whatever is still queued somewhere is then lost), or 5 s.
  server.setLoad(null);
  const stopAt = Date.now();
  const expected = after.changes - before.changes;
  await waitFor(
    () => tally.delivered >= expected || Date.now() - Math.max(subscriber.lastMessageAt, stopAt) > 1500 || Date.now() - stopAt > 5000,
    20_000,
    () => alive(ctx),
    () => 'the last changes of the window',
    () => exitedError(ctx, 'after the window'),
  );
  tally.closed = true;
  const drainMs = Math.max(0, tally.lastDelivery - stopAt);
  return {
    name,
    label: load.label,
    pattern: load.pattern,
    windowS: (t1 - t0) / 1000,
    before,
    after,
    tally,
    receiptLatency,
    messagesInWindow,
    drainMs,
    gatewayCpuSeconds,
    gatewayThreads,
    serverCpuSeconds,
    benchCpuSeconds: (benchCpu.user + benchCpu.system) / 1e6,
    hostBusySeconds,
    rssSamples,
    monotonic: { from: mono0, to: mono1 },
  };
}
