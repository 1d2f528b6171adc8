/**
 * Fan-out benchmark: one publisher to 1, 10 and 50 subscribers on `#`, at QoS 0 and QoS 1, through the
 * gateway's embedded broker and Mosquitto in the same run, each carrying 1,000 idle connected clients (one
 * subscription each) throughout. Prints deliveries/s and broker CPU per delivery (utime+stime from /proc,
 * all threads) and the gateway/Mosquitto ratios. Load comes from a separate process (generator.ts, MQTT.js).
 *
 *   node --import tsx bench/fanout/main.ts [--help]
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BrokerHandle } from '../shared/broker-process.ts';
import { startGateway } from '../shared/gateway-broker.ts';
import { runLoadChild } from '../shared/load-child.ts';
import { findMosquitto, startMosquitto } from '../shared/mosquitto-broker.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { runMain } from '../shared/run-main.ts';
import { openIdleClients } from './idle-clients.ts';
import { parseOptions, USAGE, type FanoutOptions } from './options.ts';
import { parseFanoutEvent, type FanoutConfig } from './protocol.ts';
import { fanoutTable, summarizeCell, type CellRun, type Row } from './report.ts';

const GENERATOR = fileURLToPath(new URL('./generator.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const SETUP_TIMEOUT_MS = 60_000;
const RUN_TIMEOUT_MS = 60_000;
const IDLE_MS = 2_000;
const NOISE_LIMIT = 0.15;

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

interface Cell {
  qos: 0 | 1;
  width: number;
}

async function measure(opts: FanoutOptions, broker: BrokerHandle, cell: Cell, run: number): Promise<CellRun> {
  const messages = Math.max(1, Math.round(opts.deliveries / cell.width));
  const config: FanoutConfig = {
    port: broker.port,
    subscribers: cell.width,
    qos: cell.qos,
    messages,
    warmup: Math.max(100, Math.ceil(messages / 10)),
    topics: opts.topics,
    payloadBytes: opts.payloadBytes,
    window: opts.window,
    timeoutMs: RUN_TIMEOUT_MS,
    idleMs: IDLE_MS,
    topicPrefix: `bench/fanout-${process.pid}-${run}-q${cell.qos}-n${cell.width}`,
  };
  const { result: r, cpuSec, hostCpuSec } = await runLoadChild({
    entry: GENERATOR,
    config,
    parse: parseFanoutEvent,
    pid: broker.pid,
    alive: () => broker.alive(),
    setupTimeoutMs: SETUP_TIMEOUT_MS,
    resultTimeoutMs: RUN_TIMEOUT_MS + 5000,
    exitGraceMs: 5000,
    label: `${broker.name} QoS ${cell.qos} x${cell.width}`,
  });
  const wallSec = r.elapsedMs / 1000;
  return {
    deliveredPerSec: r.delivered / wallSec,
    cpuUsPerDelivery: (cpuSec * 1e6) / r.delivered,
    brokerBusy: cpuSec / wallSec,
    loadgenBusy: r.loadgenCpuMs / r.elapsedMs,
    otherBusy: Math.max(0, (hostCpuSec - cpuSec - r.loadgenCpuMs / 1000) / wallSec),
    lost: r.published * cell.width - r.delivered,
  };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts === null) {
    log(USAGE);
    return;
  }
  const t0 = performance.now();
  if (!existsSync(opts.gatewayBin)) throw new Error(`gateway entry point not found: ${opts.gatewayBin}`);
  log('UNS gateway fan-out benchmark');
  log(`  host: ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  log(`  one publisher -> ${opts.widths.join(', ')} subscriber(s) on #, QoS ${opts.qos.join(' and ')}, ${opts.topics} topics, ${opts.payloadBytes} B payload`);
  log(`  ${opts.deliveries.toLocaleString('en-US')} deliveries per cell and run, window ${opts.window} messages, ${opts.idle} idle clients per broker`);
  log(`  repetitions: ${opts.runs} (median), interleaved between brokers, soft budget ${opts.budgetSec} s`);

  const brokers: BrokerHandle[] = [];
  const closers: (() => void)[] = [];
  try {
    brokers.push(await startGateway(opts.gatewayBin, REPO_ROOT, START_TIMEOUT_MS));
    const bin = opts.mosquitto ? findMosquitto() : null;
    if (opts.mosquitto && bin === null) log('  mosquitto: not on PATH, gateway only');
    if (bin !== null) brokers.push(await startMosquitto(bin, START_TIMEOUT_MS));
    for (const b of brokers) {
      closers.push(await openIdleClients(b.port, opts.idle, `${b.name}-${process.pid}`, 30_000));
      log(`  started ${b.name} (pid ${b.pid}) on 127.0.0.1:${b.port} with ${opts.idle} idle clients`);
    }
    log();

    const cells = opts.qos.flatMap((qos) => opts.widths.map((width) => ({ qos, width })));
    const runs = new Map<string, CellRun[]>();
    const key = (b: BrokerHandle, c: Cell): string => `${b.name}/${c.qos}/${c.width}`;
    for (let run = 1; run <= opts.runs; run++) {
      if (run > 1 && (performance.now() - t0) / 1000 > opts.budgetSec) {
        log(`note: stopped after ${run - 1} repetition(s), soft budget reached`);
        break;
      }
      for (const cell of cells) {
        for (const b of run % 2 === 1 ? brokers : [...brokers].reverse()) {
          const r = await measure(opts, b, cell, run);
          runs.set(key(b, cell), [...(runs.get(key(b, cell)) ?? []), r]);
          log(
            `  run ${run} ${b.name.padEnd(9)} QoS ${cell.qos} x${String(cell.width).padEnd(3)} ` +
              `${Math.round(r.deliveredPerSec).toLocaleString('en-US').padStart(9)} deliv/s  ${r.cpuUsPerDelivery.toFixed(2).padStart(6)} µs/deliv  ` +
              `broker ${Math.round(r.brokerBusy * 100)}%  loadgen ${Math.round(r.loadgenBusy * 100)}%  other ${Math.round(r.otherBusy * 100)}%`,
          );
        }
      }
    }
    for (const b of brokers) if (!b.alive()) throw new Error(`${b.name} died\n${b.logTail()}`);

    const summary = (name: string, c: Cell) => {
      const list = runs.get(`${name}/${c.qos}/${c.width}`);
      return list === undefined ? undefined : summarizeCell(list);
    };
    const rows: Row[] = cells.map((c) => ({ ...c, gateway: summary('gateway', c), mosquitto: summary('mosquitto', c) }));
    log();
    log(fanoutTable(rows));
    log('  medians over runs. deliv/s: deliveries to all subscribers / (first publish .. last delivery).');
    log('  µs/deliv: broker utime+stime (all threads, /proc) per delivery. busy: share of one core. gw/mq: gateway / Mosquitto.');
    log('  Mosquitto runs with its defaults (max_inflight_messages 20, max_queued_messages 1000); the window stays below them.');
    log('  Host shared with other work: figures from one run are indicative; the ratios (same run, interleaved) are the point.');
    for (const r of rows) {
      for (const [name, s] of [['gateway', r.gateway], ['mosquitto', r.mosquitto]] as const) {
        if (s === undefined) continue;
        if (s.lost > 0) log(`note: ${name} QoS ${r.qos} x${r.width}: ${s.lost} deliveries missing`);
        if (s.otherBusyMax > NOISE_LIMIT) log(`note: ${name} QoS ${r.qos} x${r.width}: other processes used up to ${Math.round(s.otherBusyMax * 100)}% of a core`);
        if (s.loadgenBusy >= 0.9) log(`note: ${name} QoS ${r.qos} x${r.width}: load generator ${Math.round(s.loadgenBusy * 100)}% busy, deliveries/s may be capped by it`);
      }
    }
  } finally {
    for (const close of closers) close();
    for (const b of brokers) await b.stop();
  }
  log(`total time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

runMain('bench/fanout', main, 600_000);
