/**
 * Stalled-subscriber benchmark: QoS 1 round trips between client pairs, first
 * alone (baseline), then while one more client subscribed to `#` at QoS 1 has
 * stopped reading its socket. Run against the gateway's embedded broker and,
 * when installed, Mosquitto, one broker after the other in the same run. The
 * load runs in a separate process (bench/stalled/pairs-generator.ts, MQTT.js).
 *
 *   node --import tsx bench/stalled/main.ts [--help]
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { BrokerHandle } from '../shared/broker-process.ts';
import { cleanupNow } from '../shared/cleanup.ts';
import { startGateway } from '../shared/gateway-broker.ts';
import { findMosquitto, startMosquitto } from '../shared/mosquitto-broker.ts';
import { REPO_ROOT as repoRoot } from '../shared/repo-root.ts';
import type { PairsConfig } from './pairs-protocol.ts';
import { runPairs } from './run-pairs.ts';
import { parseStalledOptions, STALLED_USAGE, type StalledBenchOptions } from './options.ts';
import {
  NOISE_LIMIT,
  otherBusy,
  phaseLine,
  resultTable,
  TARGET_STALLED_RATIO,
  verdictLines,
  type BrokerRecord,
  type PhaseKind,
  type PhaseRecord,
} from './report.ts';
import { StalledSubscriber, type SettleResult, type StalledStatus } from './subscriber-client.ts';
import { readRssBytes } from '../shared/proc-cpu.ts';

const START_TIMEOUT_MS = 30_000;
const SETUP_TIMEOUT_MS = 30_000; // load generator start + connect + warm-up + SUBACK; the settle time comes on top
const SUBACK_TIMEOUT_MS = 10_000;
const SETTLE_STABLE_MS = 1000; // the stalled subscriber's connection counts as full once its queue is this still

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function pairsConfig(opts: StalledBenchOptions, port: number, tag: string): PairsConfig {
  return {
    host: '127.0.0.1',
    port,
    pairs: opts.pairs,
    window: opts.window,
    payloadBytes: opts.payloadBytes,
    warmupMs: opts.warmupSec * 1000,
    durationMs: opts.phaseSec * 1000,
    topicPrefix: `bench/${tag}`,
  };
}

/**
 * One measured phase. Unless `kind` is the baseline, a `#` subscriber that stops reading joins while the
 * load runs, and the measured part starts once its connection is full (the broker cannot write to it any more).
 */
async function measure(opts: StalledBenchOptions, broker: BrokerHandle, kind: PhaseKind): Promise<PhaseRecord> {
  const tag = `stall-${broker.name}-${kind}-${process.pid}`;
  // Filled in by the phase hooks.
  const seen: { client: StalledSubscriber | null; settle: SettleResult | null; status: StalledStatus | null; rssBytes: number } = {
    client: null,
    settle: null,
    status: null,
    rssBytes: Number.NaN,
  };
  try {
    const setupMs = SETUP_TIMEOUT_MS + opts.settleSec * 1000;
    const phase = await runPairs(broker, pairsConfig(opts, broker.port, tag), setupMs, {
      beforeGo:
        kind === 'baseline'
          ? undefined
          : async () => {
              seen.client = await StalledSubscriber.connect(broker.port, {
                clientId: `bench-stalled-${process.pid}-${kind}`,
                clean: kind === 'stalled',
                topic: '#',
                timeoutMs: SUBACK_TIMEOUT_MS,
              });
              seen.settle = await seen.client.waitUntilSettled(SETTLE_STABLE_MS, opts.settleSec * 1000);
            },
      atResult: () => {
        seen.rssBytes = broker.alive() ? readRssBytes(broker.pid) : Number.NaN;
        seen.status = seen.client?.status() ?? null;
        // Let the broker go before the load generator disconnects, so that it is not held up by the stall.
        seen.client?.close();
      },
    });
    if (!broker.alive()) throw new Error(`${broker.name} died during the ${kind} phase`);
    return { kind, phase, settle: seen.settle, stalled: seen.status, rssBytes: seen.rssBytes };
  } finally {
    seen.client?.close();
  }
}

/** All phases against one broker; stops the broker in any case. */
async function benchBroker(
  opts: StalledBenchOptions,
  broker: BrokerHandle,
  failures: string[],
  notes: string[],
): Promise<BrokerRecord> {
  const rec: BrokerRecord = { broker: broker.name, phases: [] };
  const kinds: PhaseKind[] = ['baseline', 'stalled', ...(opts.persistent ? (['stalled-persistent'] as const) : [])];
  try {
    for (const kind of kinds) {
      const p = await measure(opts, broker, kind);
      rec.phases.push(p);
      log(phaseLine(broker.name, p));
    }
  } catch (err) {
    failures.push(`${errorText(err)}${broker.alive() ? '' : `\n--- ${broker.name} output (tail) ---\n${broker.logTail()}`}`);
    log(`  ${broker.name.padEnd(9)} FAILED (see below)`);
  } finally {
    const r = await broker.stop();
    if (r.forced) notes.push(`${broker.name} did not exit within 5 s of SIGTERM and was killed`);
  }
  return rec;
}

async function main(): Promise<number> {
  let opts: StalledBenchOptions | null;
  try {
    opts = parseStalledOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${errorText(err)}\n${STALLED_USAGE}\n`);
    return 2;
  }
  if (opts === null) {
    log(STALLED_USAGE);
    return 0;
  }
  const t0 = performance.now();
  const failures: string[] = [];
  const notes: string[] = [];

  log('UNS gateway stalled-subscriber benchmark');
  log(`  host: ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, node ${process.version}`);
  log(
    `  load: ${opts.pairs} QoS 1 publisher/subscriber pairs, ${opts.window} round trips in flight per pair, ` +
      `${opts.payloadBytes} B payload; ${opts.warmupSec} s warm-up, then ${opts.phaseSec} s measured per phase`,
  );
  log(
    '  stalled phase: one more client (keep-alive off) subscribes to # at QoS 1 and then never reads its socket' +
      (opts.persistent ? '; once with a clean session, once with a persistent one' : ''),
  );
  log(
    `  measuring starts once its connection is full (bytes queued to it not growing for ${SETTLE_STABLE_MS} ms, ` +
      `at most ${opts.settleSec} s after SUBACK)`,
  );
  log('  gateway: default broker settings (drainTimeoutMs as the schema defaults it)');
  log();

  if (!existsSync(opts.gatewayBin)) {
    log(`FAILED: gateway entry point not found: ${opts.gatewayBin}`);
    return 1;
  }
  const records: BrokerRecord[] = [];
  try {
    const gw = await startGateway(opts.gatewayBin, repoRoot, START_TIMEOUT_MS);
    log(`started gateway (pid ${gw.pid}) on 127.0.0.1:${gw.port}`);
    records.push(await benchBroker(opts, gw, failures, notes));
  } catch (err) {
    failures.push(errorText(err));
  }

  let mosquittoSkipped: string | null = null;
  const mosquittoBin = opts.mosquitto ? findMosquitto() : null;
  if (!opts.mosquitto) mosquittoSkipped = 'disabled with --no-mosquitto';
  else if (mosquittoBin === null) mosquittoSkipped = 'no `mosquitto` binary on PATH (apt-get install mosquitto)';
  else {
    try {
      const mq = await startMosquitto(mosquittoBin, START_TIMEOUT_MS);
      log(`started mosquitto (pid ${mq.pid}) on 127.0.0.1:${mq.port}`);
      records.push(await benchBroker(opts, mq, failures, notes));
    } catch (err) {
      failures.push(errorText(err));
    }
  }
  if (mosquittoSkipped !== null) log(`Mosquitto side skipped: ${mosquittoSkipped}.`);

  const measured = records.filter((r) => r.phases.length > 0);
  log();
  if (measured.length > 0) {
    log(resultTable(measured));
    log('  msg/s: QoS 1 round trips completed (PUBACK and delivery) per second, all pairs together.');
    log('  p50/p99/max: publish to delivery; messages undelivered at the end count at their age then (a lower bound).');
    log("  broker CPU / other CPU: share of one core used during the measured part by the broker / by other processes");
    log("  than the broker and the load generator. RSS: broker's resident memory at the end of the measured part.");
    log('  stalled subscriber: times from its SUBACK; the measured part started when it "stopped receiving"');
    log('  (+1 s); KiB queued: bytes in the kernel on their way to it (broker send queue + its receive queue) at the end.');
    log();
    log(`other clients' QoS 1 throughput with a stalled subscriber, relative to the baseline:`);
    for (const line of verdictLines(measured)) log(line);
    if (!measured.some((r) => r.broker === 'gateway' && r.phases.length > 1)) {
      log(`  gateway: no complete measurement, no verdict (target >= ${TARGET_STALLED_RATIO}x)`);
    }
  }
  for (const r of measured) {
    const disturbed = r.phases.filter((p) => otherBusy(p) > NOISE_LIMIT);
    if (disturbed.length > 0) {
      notes.push(
        `${r.broker}: other processes used more than ${Math.round(NOISE_LIMIT * 100)}% of a core during ` +
          `${disturbed.map((p) => p.kind).join(', ')}; for clean figures rerun on a quiet host`,
      );
    }
  }
  for (const n of notes) log(`note: ${n}`);
  for (const f of failures) log(`FAILED: ${f}`);
  log(`total time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    cleanupNow();
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    cleanupNow();
    process.exit(1);
  },
);
