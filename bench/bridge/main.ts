/**
 * Bridge benchmark: the gateway's store-and-forward bridge to an upstream MQTT broker (src/bridge/*),
 * against Mosquitto's own bridge. `npm run bench:bridge [-- --quick] [-- --profile]`.
 *
 * Every gateway runs as a process (`node <npm start's flags> bin/uns-gateway.js run`, built dist/), with
 * store durability full, store.maxSizeMB 1024, and one bridge `hq`: forward bench/#, QoS 1, send
 * { maxRate: 0, inflight: 256 }, outbox { maxMessages: 2000000, maxSizeMB: 400 }, reconnect 0.2 … 1 s,
 * status every 0.1 s (bridge-gateway.ts). Messages: topics bench/area/asset/tag0 … tag999, 60-byte JSON
 * payloads carrying a sequence number (messages.ts). Clients are MQTT.js in this process. Mosquitto is
 * found on PATH. Counts in brackets are the full run's; --quick takes a tenth.
 *
 * 1. Outbox append rate [target >= 50,000 msg/s].
 *    a. In-process (outbox-append.ts): openStore (temp dir, durability full) and a BridgeOutbox on it;
 *       200,000 appends in one loop, then writer.flush(); rate = messages / (first append to the flush
 *       returning). Median of 3 runs, each on a fresh store; rows in bridge_outbox checked.
 *    b. End to end, upstream down: one client publishes into the gateway, at QoS 1 with 1,000
 *       unacknowledged at most (the 200,000 of figure 2's fill), and at QoS 0 paced by TCP (the 1,000,000
 *       of figure 3's fill); rate = messages / (first publish to the status showing that backlog).
 *       Baseline: the same client, 200,000 at QoS 0 then at QoS 1, on topics no bridge forwards (baseline.ts).
 * 2. Drain rate to a local upstream, no rate limit [target >= 20,000 msg/s] (drain.ts, upstream.ts).
 *    200,000 QoS 1 messages buffered while the upstream Mosquitto is down; it starts; a subscriber on it
 *    (a persistent session made beforehand, so it misses nothing) gets them; drain = upstream logging
 *    the bridge's connection to the last message at the subscriber; every sequence number checked.
 *    Baseline in the same run: an edge Mosquitto (persistence on, bridge `topic bench/# out 1`,
 *    restart_timeout 1) takes the 200,000 QoS 1 publishes while the upstream is down, then drains the
 *    same way: with its defaults (max_queued_messages 1000: it delivers what it kept), with
 *    max_queued_messages 0 (unlimited; the ratio gateway / Mosquitto uses this one), and with
 *    max_queued_messages 0 and max_inflight_messages 256 (the gateway's window).
 * 3. Gateway RSS with 1,000,000 messages buffered [target < 200 MB] (memory.ts). Upstream down,
 *    1,000,000 QoS 0 messages published; VmRSS from /proc/<pid>/status every 100 ms: the peak, and
 *    `settle` (5 s) after the whole backlog showed; the database and WAL sizes; then a restart on that
 *    store: its start time, the backlog it loaded, its RSS after the settle. Twice: with the node flags of
 *    `npm start` (none) and of `npm run start:lowmem` (small V8 heap).
 * 4. Live latency p50/p99 at 5,000 msg/s, connected (latency.ts): the publisher stamps payloads with
 *    performance.now(), a subscriber on the upstream Mosquitto subtracts; 3 s warm-up, then 10 s timed.
 *    Through the gateway's bridge (timed as well by a subscriber on the gateway itself: the gateway's
 *    own share), straight into the upstream (baseline), through Mosquitto's bridge; at publisher QoS 1
 *    (a durable journal write in the gateway) and QoS 0.
 *
 * Exit code 1 when something failed (a crash, messages lost, a phase stuck); a missed target is
 * reported as MISS, not failed.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { runMain } from '../shared/run-main.ts';
import { findMosquitto } from '../shared/mosquitto-broker.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';
import { startNodeFlags } from '../shared/start-flags.ts';
import { median } from '../shared/stats.ts';
import { fmtInt, fmtNum } from '../shared/table.ts';
import { fsTypeOf } from '../store/options.ts';
import { gatewayDrain, mosquittoDrain, type DrainResult, type DrainSetup } from './drain.ts';
import { measureLatency } from './latency.ts';
import { memoryWithBacklog, type MemoryResult } from './memory.ts';
import { TARGET_APPEND_PER_S, TARGET_DRAIN_PER_S, TARGET_RSS_BYTES, USAGE, parseOptions, type Options } from './options.ts';
import { measureOutboxAppend } from './outbox-append.ts';
import { profileLines } from './profile.ts';
import { formatRows, mib, ms, msFine, perS, rate, row, targetRow, type Row } from './report.ts';

const PHASE_TIMEOUT_MS = 300_000;
const TOTAL_TIMEOUT_MS = 30 * 60_000;
const failures: string[] = [];
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
/** The host's 1-minute load average: other work on the machine makes the figures noisy. */
const load = (): string => `host load ${fmtNum(loadavg()[0] ?? Number.NaN, 1)} on ${cpus().length} CPUs`;

async function main(): Promise<void> {
  let opts: Options | null;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench/bridge: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (opts === null) {
    out(USAGE);
    return;
  }
  const mosquittoBin = findMosquitto();
  if (mosquittoBin === null) throw new Error('mosquitto is not on PATH (apt-get install mosquitto): figures 2 and 4 need it');
  const root = makeTempDir('uns-bench-bridge-');
  try {
    await run(opts, mosquittoBin, root);
  } finally {
    removeTempDir(root);
  }
}

async function run(opts: Options, mosquittoBin: string, root: string): Promise<void> {
  const started = performance.now();
  // `mosquitto -h` prints its version first, and exits with 3.
  const version = spawnSync(mosquittoBin, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? '';
  out(`UNS gateway bridge benchmark${opts.quick ? ' (--quick: 1/10 of the counts)' : ''}: node ${process.version}, ${cpus().length} CPUs, ${version.trim()}, temp dirs on ${fsTypeOf(root)}`);
  // The summary's rows by figure: 1b is measured in the phases of figures 2 and 3.
  const f1: Row[] = [];
  const f2: Row[] = [];
  const f3: Row[] = [];
  const f4: Row[] = [];

  out();
  out(`1a. BridgeOutbox.append in-process, ${fmtInt(opts.appendMessages)} messages until committed (durability full), ${opts.appendRuns} run(s) (${load()})`);
  const appendRates: number[] = [];
  for (let i = 1; i <= opts.appendRuns; i++) {
    const r = await measureOutboxAppend(opts.appendMessages);
    appendRates.push(rate(r.messages, r.ms));
    out(`  run ${i}: ${perS(rate(r.messages, r.ms))}  (${ms(r.ms)}, of which final flush ${ms(r.flushMs)}; ${r.batches} commits; ${fmtInt(r.rows)} rows)`);
    if (r.rows !== r.messages) failures.push(`in-process append: ${r.rows} rows for ${r.messages} appends`);
  }
  const appendRate = median(appendRates);
  f1.push(targetRow(`1a. outbox append, in-process (median of ${appendRates.length})`, appendRate, perS(appendRate), `>= ${fmtInt(TARGET_APPEND_PER_S)}`, (v) => v >= TARGET_APPEND_PER_S));

  out();
  const setup: DrainSetup = { mosquittoBin, messages: opts.drainMessages, window: opts.window, timeoutMs: PHASE_TIMEOUT_MS };
  out(`2. Drain of ${fmtInt(setup.messages)} QoS 1 messages buffered while the upstream was down (fill: window ${opts.window}) (${load()})`);
  const profDir = opts.profile ? path.join(root, 'cpu-prof') : undefined;
  const gw = await guarded('gateway drain', () => gatewayDrain(setup, path.join(root, 'drain-gw'), profDir));
  const mqDefault = await guarded('mosquitto drain (defaults)', () => mosquittoDrain(setup, []));
  const mqUnlimited = await guarded('mosquitto drain (max_queued_messages 0)', () => mosquittoDrain(setup, ['max_queued_messages 0']));
  const mqWindow = await guarded('mosquitto drain (max_queued_messages 0, max_inflight_messages 256)', () =>
    mosquittoDrain(setup, ['max_queued_messages 0', 'max_inflight_messages 256']),
  );
  const pace = gw?.brokerPace;
  if (pace !== undefined) {
    out(`  gateway, topics not forwarded (baseline)     QoS 1 ${perS(rate(setup.messages, pace.qos1Ms))}, QoS 0 ${perS(rate(setup.messages, pace.qos0Ms))}`);
  }
  drainLine('gateway bridge', gw, true);
  drainLine('mosquitto bridge, defaults', mqDefault, false);
  drainLine('mosquitto bridge, max_queued_messages 0', mqUnlimited, true);
  drainLine('mosquitto, max_queued 0 + max_inflight 256', mqWindow, true);
  const gwFill = gw === undefined ? Number.NaN : rate(gw.messages, gw.fillMs);
  f1.push(targetRow('1b. backlog growth, gateway, publisher QoS 1', gwFill, perS(gwFill), `>= ${fmtInt(TARGET_APPEND_PER_S)}`, (v) => v >= TARGET_APPEND_PER_S));
  f1.push(row('    baseline: QoS 1 on topics not forwarded', perS(pace === undefined ? Number.NaN : rate(setup.messages, pace.qos1Ms))));
  f1.push(row('    baseline: QoS 0 on topics not forwarded', perS(pace === undefined ? Number.NaN : rate(setup.messages, pace.qos0Ms))));
  const gwDrain = drainRate(gw);
  f2.push(targetRow('2. drain, gateway bridge', gwDrain, perS(gwDrain), `>= ${fmtInt(TARGET_DRAIN_PER_S)}`, (v) => v >= TARGET_DRAIN_PER_S));
  f2.push(row('   drain, mosquitto bridge, defaults', mqDefault === undefined ? 'n/a' : `${fmtInt(mqDefault.delivered)} of ${fmtInt(mqDefault.messages)} delivered`));
  f2.push(row('   drain, mosquitto bridge, max_queued_messages 0', perS(drainRate(mqUnlimited))));
  f2.push(row('   drain, mosquitto, max_queued 0, max_inflight 256', perS(drainRate(mqWindow))));
  f2.push(row('   ratio gateway / mosquitto (max_queued 0)', `${fmtNum(gwDrain / drainRate(mqUnlimited), 2)}x`));
  f2.push(row('   ratio gateway / mosquitto (max_queued 0, inflight 256)', `${fmtNum(gwDrain / drainRate(mqWindow), 2)}x`));

  out();
  out(`3. Gateway memory with ${fmtInt(opts.rssMessages)} messages buffered (QoS 0 fill, upstream down), then restarted on that store (${load()})`);
  const rssTarget = `< ${fmtInt(TARGET_RSS_BYTES / 1024 / 1024)} MiB`;
  for (const script of ['start', 'start:lowmem'] as const) {
    out(`  gateway with the node flags of npm ${script === 'start' ? 'start' : 'run start:lowmem'}: ${startNodeFlags(REPO_ROOT, script).join(' ') || 'none'}`);
    const memSetup = { messages: opts.rssMessages, window: opts.window, settleS: opts.settleS, timeoutMs: PHASE_TIMEOUT_MS, script };
    const mem = await guarded(`memory with backlog (${script})`, () => memoryWithBacklog(path.join(root, `memory-${script}`), memSetup));
    if (mem !== undefined) memoryLines(mem, opts.settleS);
    if (script === 'start') {
      const memFill = mem === undefined ? Number.NaN : rate(mem.messages, mem.fillMs);
      f1.push(targetRow('1b. backlog growth, gateway, publisher QoS 0', memFill, perS(memFill), `>= ${fmtInt(TARGET_APPEND_PER_S)}`, (v) => v >= TARGET_APPEND_PER_S));
    }
    const rss = (label: string, bytes: number | undefined): Row => targetRow(label, bytes ?? Number.NaN, mib(bytes ?? Number.NaN), rssTarget, (v) => v < TARGET_RSS_BYTES);
    f3.push(rss(`3. gateway RSS, ${fmtInt(opts.rssMessages)} buffered, npm ${script}: peak`, mem?.peakRss));
    f3.push(rss(`   after ${opts.settleS} s settle`, mem?.settledRss));
    f3.push(rss('   after a restart with that backlog', mem?.restart.settledRss));
    if (script === 'start') f3.push(row('   database + WAL with that backlog', mem === undefined ? 'n/a' : mib(mem.running.db + mem.running.wal)));
  }

  out();
  out(`4. Live latency at ${fmtInt(opts.latencyRate)} msg/s, ${opts.latencyWarmupS} s warm-up + ${opts.latencyS} s timed, subscriber on the upstream Mosquitto (${load()})`);
  const latency = await guarded('latency', () =>
    measureLatency({ mosquittoBin, rate: opts.latencyRate, warmupS: opts.latencyWarmupS, seconds: opts.latencyS }, path.join(root, 'latency')),
  );
  for (const r of latency ?? []) {
    out(`  ${`${r.path}, QoS ${r.qos}`.padEnd(28)} p50 ${msFine(r.p50).padStart(9)}  p99 ${msFine(r.p99).padStart(9)}  max ${msFine(r.max).padStart(9)}  (${fmtInt(r.received)}/${fmtInt(r.timed)} timed received)`);
    if (r.missing > 0) failures.push(`latency, ${r.path} QoS ${r.qos}: ${r.missing} of ${r.timed} timed messages never arrived`);
    f4.push(row(`4. latency ${r.path}, QoS ${r.qos}, p50 / p99`, `${msFine(r.p50)} / ${msFine(r.p99)}`));
  }

  if (opts.profile && profDir !== undefined && gw?.windows !== undefined) {
    out();
    const phases = [
      { name: `fill (${fmtInt(gw.messages)} QoS 1 publishes)`, window: gw.windows.fill },
      { name: `drain (${fmtInt(gw.messages)} messages)`, window: gw.windows.drain },
    ];
    for (const line of await profileLines(profDir, phases)) out(line);
  }

  out();
  out(formatRows([...f1, ...f2, ...f3, ...f4]));
  out();
  out(`total ${fmtNum((performance.now() - started) / 1000, 1)} s, ${load()} at the end`);
  if (failures.length > 0) {
    out();
    out(`FAILED: ${failures.length} problem(s):`);
    for (const f of failures) out(`  - ${f}`);
    process.exitCode = 1;
  }
}

/** Runs one phase; a failure is recorded (the bench goes on with the next phase) and gives undefined. */
async function guarded<T>(what: string, phase: () => Promise<T>): Promise<T | undefined> {
  try {
    return await phase();
  } catch (err) {
    failures.push(`${what}: ${(err as Error).message}`);
    out(`  ${what} FAILED: ${((err as Error).message.split('\n')[0] ?? '').slice(0, 300)}`);
    return undefined;
  }
}

function drainRate(r: DrainResult | undefined): number {
  return r === undefined ? Number.NaN : rate(r.delivered, r.drainMs);
}

function drainLine(name: string, r: DrainResult | undefined, complete: boolean): void {
  if (r === undefined) return;
  const resent = r.resent === undefined ? '' : `, ${fmtInt(r.resent)} resent`;
  out(
    `  ${name.padEnd(44)} drain ${perS(drainRate(r)).padStart(12)}  (${fmtInt(r.delivered)}/${fmtInt(r.messages)} in ${ms(r.drainMs)}; ` +
      `${r.duplicates} dup, ${r.outOfOrder} out of order${resent}; connected ${ms(r.reconnectMs)} after the upstream's start; fill ${perS(rate(r.messages, r.fillMs))})`,
  );
  if (complete && r.delivered < r.messages) failures.push(`${name}: ${r.messages - r.delivered} of ${r.messages} messages never reached the upstream`);
  if (r.outOfOrder > 0) failures.push(`${name}: ${r.outOfOrder} messages out of order`);
}

function memoryLines(m: MemoryResult, settleS: number): void {
  out(`  fill: ${perS(rate(m.messages, m.fillMs))} (${ms(m.fillMs)} to a backlog of ${fmtInt(m.messages)})`);
  out(`  RSS: idle before the fill ${mib(m.startRss)}, peak ${mib(m.peakRss)}, ${settleS} s after the fill ${mib(m.settledRss)}`);
  out(`  store: database ${mib(m.running.db)} + WAL ${mib(m.running.wal)} running; ${mib(m.stopped.db)} + ${mib(m.stopped.wal)} after the stop`);
  out(
    `  restart: listener ready after ${ms(m.restart.startMs)}, outbox loaded with ${fmtInt(m.restart.backlog ?? Number.NaN)}, ` +
      `RSS ${mib(m.restart.settledRss)} ${settleS} s later (peak ${mib(m.restart.peakRss)})`,
  );
  if (m.restart.backlog !== m.messages) failures.push(`restart: the outbox came back with ${m.restart.backlog ?? 'no'} messages, not ${m.messages}`);
}

runMain('bench/bridge', main, TOTAL_TIMEOUT_MS);
