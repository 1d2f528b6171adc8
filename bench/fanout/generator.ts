/**
 * Fan-out load-generator child (`node --import tsx generator.ts <FanoutConfig JSON>`): connects the subscribers
 * and the publisher, warms up, reports `ready`, waits for "go", runs the measured part and reports its result.
 */
import type { MqttClient } from 'mqtt';
import { waitForGo } from '../shared/go-signal.ts';
import { cpuMsSince, endClients } from '../shared/mqtt-clients.ts';
import type { ChildEvent } from '../shared/child-line.ts';
import { FanoutLoad } from './load.ts';
import type { FanoutConfig, FanoutResult } from './protocol.ts';

function emit(ev: ChildEvent<FanoutResult>): void {
  process.stdout.write(`${JSON.stringify(ev)}\n`);
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '') as FanoutConfig;
  if (!cfg.topicPrefix.startsWith('bench/')) throw new Error('topicPrefix must be below bench/');
  const clients: MqttClient[] = [];
  try {
    const load = await FanoutLoad.connect(cfg);
    clients.push(...load.clients);
    const w = await load.run(cfg.warmup, cfg.timeoutMs);
    if (w.timedOut || w.stalled) throw new Error(`warm-up failed (published ${w.published}, delivered ${w.delivered})`);
    emit({ event: 'ready' });
    await waitForGo();
    const cpu0 = process.cpuUsage();
    const r = await load.run(cfg.messages, cfg.timeoutMs);
    const loadgenCpuMs = cpuMsSince(cpu0);
    if (r.timedOut) throw new Error(`timed out after ${cfg.timeoutMs} ms (published ${r.published}, delivered ${r.delivered})`);
    if (r.stalled) throw new Error(`stalled: published ${r.published}, delivered ${r.delivered}, nothing for ${cfg.idleMs} ms`);
    emit({ event: 'result', result: { published: r.published, delivered: r.delivered, elapsedMs: r.elapsedMs, loadgenCpuMs } });
  } finally {
    await endClients(clients, 2000);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
