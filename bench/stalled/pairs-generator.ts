/**
 * Load-generator child process for bench/stalled/main.ts (run with
 * `node --import tsx`): QoS 1 round trips on client pairs, see pairs-load.ts
 * and pairs-protocol.ts for the handshake. Exits 0 after printing a result,
 * 1 on error.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForGo } from '../shared/go-signal.ts';
import { cpuMsSince, endClients } from '../shared/mqtt-clients.ts';
import { PairsLoad } from './pairs-load.ts';
import type { PairsConfig, PairsEvent } from './pairs-protocol.ts';
import { percentile } from '../shared/stats.ts';

function emit(ev: PairsEvent): void {
  process.stdout.write(`${JSON.stringify(ev)}\n`);
}

function parseConfig(arg: string | undefined): PairsConfig {
  if (arg === undefined) throw new Error('usage: pairs-generator.ts <PairsConfig JSON>');
  const v: unknown = JSON.parse(arg);
  if (typeof v !== 'object' || v === null) throw new Error('config must be an object');
  const c = v as PairsConfig;
  if (c.host !== '127.0.0.1') throw new Error('load generator only targets 127.0.0.1');
  if (typeof c.topicPrefix !== 'string' || !c.topicPrefix.startsWith('bench/')) throw new Error('bad topicPrefix');
  for (const k of ['port', 'pairs', 'window', 'payloadBytes', 'warmupMs', 'durationMs'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`bad ${k}`);
  }
  if (c.pairs < 1 || c.window < 1 || c.durationMs < 1) throw new Error('pairs, window and durationMs must be >= 1');
  return c;
}

async function main(): Promise<void> {
  const cfg = parseConfig(process.argv[2]);
  const load = await PairsLoad.connect(cfg);
  try {
    load.start();
    await sleep(cfg.warmupMs);
    load.check();
    emit({ event: 'ready' });
    await waitForGo();
    const cpu0 = process.cpuUsage();
    load.beginMeasure();
    await sleep(cfg.durationMs);
    const m = load.endMeasure();
    const loadgenCpuMs = cpuMsSince(cpu0);
    const l = m.latenciesMs;
    emit({
      event: 'result',
      result: {
        completed: m.completed,
        elapsedMs: m.elapsedMs,
        msgPerSec: m.elapsedMs > 0 ? (m.completed * 1000) / m.elapsedMs : 0,
        perSecond: m.perSecond,
        p50Ms: percentile(l, 50),
        p99Ms: percentile(l, 99),
        maxMs: percentile(l, 100),
        undeliveredAtEnd: m.undelivered,
        loadgenCpuMs,
      },
    });
  } finally {
    await endClients(load.clients, 2000);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
