/**
 * bench:opcua --footprint SIZES: the gateway's RSS and CPU at several item counts, for each npm start
 * script (`start`, `start:lowmem`), under a light load; a fresh server per size, a fresh gateway per
 * script. The growth per 10,000 items comes from the smallest and the largest size (report-footprint.ts).
 */
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { startNodeFlags } from '../shared/start-flags.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { fmtInt, fmtNum } from '../shared/table.ts';
import { sleep, waitFor } from '../shared/wait.ts';
import { alive, exitedError, runPhase, type Context } from './gateway-phase.ts';
import { progress } from './progress.ts';
import { LOADS, type Options } from './options.ts';
import { statusField } from './proc.ts';
import type { PhaseResult } from './measurements.ts';
import type { OpcuaServerProcess } from './server-client.ts';
import { startGatewayAndSubscriber, startServer } from './setup.ts';

export interface FootprintResult {
  items: number;
  script: string;
  nodeFlags: string[];
  serverStartupMs: number;
  /** Gateway spawn → a good value on every item topic (under the load), ms. */
  allValuesMs: number;
  /** RSS once every item was published, before the measured load. */
  settledRssBytes: number;
  /** Anonymous memory (heaps, stacks) at the end of the window. */
  anonymousBytes: number;
  /** VmHWM over the gateway's life. */
  hwmBytes: number;
  threads: number;
  /** One per load of --loads. */
  phases: PhaseResult[];
  problems: number;
  stopCode: number | null;
}

async function measure(options: Options, dir: string, server: OpcuaServerProcess, samplingMs: number, items: number, script: string): Promise<FootprintResult> {
  const started = await startGatewayAndSubscriber(options, dir, server, samplingMs, items, script);
  const { gateway, subscriber } = started;
  try {
    const ctx: Context = { options: { ...options, items }, server, gateway, subscriber };
    // Under the load from the start: a value the broker drops for the slow subscriber while the
    // gateway publishes every item at once comes again at the item's next change.
    const first = options.loads[0] ?? '10s';
    server.setLoad(LOADS[first]?.pattern ?? null);
    await waitFor(
      () => subscriber.tracker.goodCount >= items,
      120_000 + items,
      () => alive(ctx),
      () => `a good value on all ${fmtInt(items)} item topics (have ${fmtInt(subscriber.tracker.goodCount)})\n--- gateway ---\n${gateway.logTail()}`,
      () => exitedError(ctx, 'before every item was published'),
    );
    const allValuesMs = Date.now() - started.startedAt;
    const settledRssBytes = gateway.rssBytes();
    progress(`npm ${script}, ${fmtInt(items)} items: all published ${fmtNum(allValuesMs / 1000, 1)} s after the gateway started, RSS ${fmtNum(settledRssBytes / 1e6, 0)} MB`);
    const phases: PhaseResult[] = [];
    for (const name of options.loads) phases.push(await runPhase(ctx, name));
    const anonymousBytes = gateway.anonymousBytes();
    const hwmBytes = statusField(gateway.pid, 'VmHWM') * 1024;
    const threads = gateway.threads();
    const problems = gateway.problems().length;
    await subscriber.client.endAsync();
    const stop = await gateway.stop(options.cpuProfDir === undefined ? 8000 : 60_000);
    return {
      items,
      script,
      nodeFlags: startNodeFlags(REPO_ROOT, script),
      serverStartupMs: server.startupMs,
      allValuesMs,
      settledRssBytes,
      anonymousBytes,
      hwmBytes,
      threads,
      phases,
      problems,
      stopCode: stop.code,
    };
  } finally {
    if (!subscriber.client.disconnected) subscriber.client.end(true);
    await gateway.stop(5000);
  }
}

/** Every size × every script; a size whose server or gateway fails is reported and the others go on. */
export async function runFootprint(options: Options, sizes: readonly number[], samplingMs: number): Promise<{ results: FootprintResult[]; failures: string[] }> {
  const results: FootprintResult[] = [];
  const failures: string[] = [];
  for (const items of sizes) {
    const dir = makeTempDir('uns-bench-opcua-footprint-');
    let server: OpcuaServerProcess | undefined;
    try {
      server = await startServer(options, dir, samplingMs, items);
      for (const script of options.scripts) {
        try {
          results.push(await measure(options, dir, server, samplingMs, items, script));
        } catch (error) {
          const message = (error as Error).message;
          process.stdout.write(`\n${fmtInt(items)} items, npm ${script}: the run failed: ${message}\n`);
          failures.push(`${fmtInt(items)} items, npm ${script}: ${message.split('\n')[0] ?? ''}`);
          if (!server.alive()) break;
        }
        server.setLoad(null);
        await sleep(1000);
      }
    } catch (error) {
      failures.push(`${fmtInt(items)} items: ${(error as Error).message.split('\n')[0] ?? ''}`);
    } finally {
      if (server) await server.stop(10_000);
      removeTempDir(dir);
    }
  }
  return { results, failures };
}
