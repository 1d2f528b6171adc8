/**
 * Load-generator child process (run with `node --import tsx`). Started by
 * bench/broker/main.ts with a LoadConfig as JSON in argv[2]; see protocol.ts for
 * the stdout/stdin handshake. Exits 0 after printing a result, 1 on error.
 */
import type { MqttClient } from 'mqtt';
import { FaninLoad } from './fanin-load.ts';
import { waitForGo } from '../shared/go-signal.ts';
import { cpuMsSince, endClients } from '../shared/mqtt-clients.ts';
import type { GeneratorEvent, LoadConfig, PhaseResult } from './protocol.ts';
import { RttLoad } from './rtt-load.ts';
import { percentile } from '../shared/stats.ts';

function emit(ev: GeneratorEvent): void {
  process.stdout.write(`${JSON.stringify(ev)}\n`);
}

function parseConfig(arg: string | undefined): LoadConfig {
  if (arg === undefined) throw new Error('usage: load-generator.ts <LoadConfig JSON>');
  const v: unknown = JSON.parse(arg);
  if (typeof v !== 'object' || v === null) throw new Error('config must be an object');
  const c = v as LoadConfig;
  if (c.phase !== 'fanin' && c.phase !== 'rtt') throw new Error(`unknown phase ${String(c.phase)}`);
  if (c.host !== '127.0.0.1') throw new Error('load generator only targets 127.0.0.1');
  if (typeof c.topicPrefix !== 'string' || !c.topicPrefix.startsWith('bench/')) throw new Error('bad topicPrefix');
  for (const k of ['port', 'messages', 'warmup', 'publishers', 'payloadBytes', 'window', 'timeoutMs', 'idleMs'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 0) throw new Error(`bad ${k}`);
  }
  if (!Number.isInteger(c.topicsPerPublisher) || c.topicsPerPublisher < 1) throw new Error('bad topicsPerPublisher');
  return c;
}

async function runFanin(cfg: LoadConfig, clients: MqttClient[]): Promise<PhaseResult> {
  const load = await FaninLoad.connect(cfg);
  clients.push(...load.clients);
  if (cfg.warmup > 0) {
    const w = await load.run(cfg.warmup, cfg.timeoutMs);
    if (w.timedOut || w.stalled) throw new Error(`fan-in warm-up failed (sent ${w.sent}, received ${w.received})`);
  }
  emit({ event: 'ready' });
  await waitForGo();
  const cpu0 = process.cpuUsage();
  const r = await load.run(cfg.messages, cfg.timeoutMs);
  const loadgenCpuMs = cpuMsSince(cpu0);
  if (r.timedOut) {
    throw new Error(`fan-in timed out after ${cfg.timeoutMs} ms (sent ${r.sent}, received ${r.received})`);
  }
  if (r.stalled) {
    throw new Error(
      `fan-in stalled: ${r.sent} published, ${r.received} delivered, nothing delivered for ${cfg.idleMs} ms ` +
        `with ${r.sent - r.received} outstanding (window ${cfg.window})`,
    );
  }
  const msgPerSec = r.elapsedMs > 0 ? (r.received * 1000) / r.elapsedMs : 0;
  return { phase: 'fanin', sent: r.sent, received: r.received, elapsedMs: r.elapsedMs, msgPerSec, loadgenCpuMs };
}

async function runRtt(cfg: LoadConfig, clients: MqttClient[]): Promise<PhaseResult> {
  const load = await RttLoad.connect(cfg);
  clients.push(...load.clients);
  if (cfg.warmup > 0) {
    const w = await load.run(cfg.warmup, cfg.timeoutMs);
    if (w.timedOut) throw new Error(`QoS 1 warm-up timed out (${w.latenciesMs.length} done)`);
  }
  emit({ event: 'ready' });
  await waitForGo();
  const cpu0 = process.cpuUsage();
  const r = await load.run(cfg.messages, cfg.timeoutMs);
  const loadgenCpuMs = cpuMsSince(cpu0);
  if (r.timedOut) {
    throw new Error(`QoS 1 round trip timed out after ${cfg.timeoutMs} ms (${r.latenciesMs.length} done)`);
  }
  const l = r.latenciesMs;
  return {
    phase: 'rtt',
    samples: l.length,
    p50Ms: percentile(l, 50),
    p99Ms: percentile(l, 99),
    maxMs: percentile(l, 100),
    elapsedMs: r.elapsedMs,
    loadgenCpuMs,
  };
}

async function main(): Promise<void> {
  const cfg = parseConfig(process.argv[2]);
  const clients: MqttClient[] = [];
  try {
    const result = cfg.phase === 'fanin' ? await runFanin(cfg, clients) : await runRtt(cfg, clients);
    emit({ event: 'result', result });
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
