/**
 * Store benchmark: the gateway's SQLite store against aedes' in-memory persistence.
 *
 *   node --import tsx bench/store/main.ts [--messages N] [--runs N] [--window N]
 *                                    [--retained N] [--reader raw|mqtt.js] [--profile] [--no-memory-retained] [--no-build]
 *
 * 1. QoS 1 throughput to an online persistent subscriber (clean=false, QoS 1),
 *    median of --runs per store, and the ratio sqlite / memory.
 * 2. Time for a new `#` subscriber to receive --retained retained topics, on
 *    the SQLite gateway, again after restarting it on the same data dir, and
 *    on the memory gateway.
 * 3. SQLite file size (db + wal) and gateway RSS after step 2.
 *
 * The gateway runs as `node bin/uns-gateway.js run --config <tmp>/gateway.yaml`,
 * after `npm run build` when package.json has a build script (--no-build skips it);
 * MQTT.js load generators run in their own processes (bench/store/loadgen.ts).
 * --profile runs the SQLite gateways under `node --cpu-prof` and prints the top
 * self-time functions of each (figures are then somewhat lower).
 * Exit code 0 unless something actually failed (a crash, lost messages,
 * retained values missing after restart, an unclean stop); a missed target is
 * reported, not failed.
 */
import { cpus } from 'node:os';
import path from 'node:path';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { runMain } from '../shared/run-main.ts';
import { median } from '../shared/stats.ts';
import { buildGateway, dbSize, type DbSize, type Engine, type RunningGateway } from '../shared/store-gateway.ts';
import { formatProfile, summariseProfile } from './profile.ts';
import { createSourceLocator } from './sourcemap.ts';
import type { ReadResult } from './protocol.ts';
import { fmtInt, fmtMiB, fmtMs, fmtNum, fmtPct, formatReport, type ReportRow } from './report.ts';
import { findMosquitto, startMosquitto } from '../shared/mosquitto-broker.ts';
import { readRssBytes } from '../shared/proc-cpu.ts';
import { runLoad, watchRssPeak, type LoadTarget, type Measured } from './runner.ts';
import { HOST, SETUP_TIMEOUT_MS, START_TIMEOUT_MS, TARGET_RATIO, TARGET_RETAINED_MS, TARGET_RETAINED_RESTARTED_MS, TOTAL_TIMEOUT_MS, fsTypeOf, parseOptions, type Options } from './options.ts';
import { Bench, OTHER_CPU_WARN, cpuShares, fail, failures, otherCpuPeak, out, readLine, verdict, warnings, type RetainedRead } from './session.ts';
import { REPO_ROOT } from '../shared/repo-root.ts';


async function main(): Promise<void> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench/store: ${err instanceof Error ? err.message : String(err)} (see --help)\n`);
    process.exit(2);
  }
  const root = makeTempDir('uns-bench-store-');
  const bench = new Bench(opts, root);
  try {
    await runBench(opts, root, bench);
  } finally {
    // Also after an error: the profiles of the gateways that did stop are worth having.
    if (opts.profile) await printProfiles(bench);
    removeTempDir(root);
  }
}

async function printProfiles(bench: Bench): Promise<void> {
  const locator = await createSourceLocator(REPO_ROOT);
  for (const p of bench.profiles()) {
    for (const file of p.files) {
      out();
      try {
        for (const line of formatProfile(p.title, summariseProfile(file, 15, locator))) out(line);
      } catch (err) {
        out(`${p.title}: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (p.files.length === 0) out(`${p.title}: no .cpuprofile written`);
  }
}

async function runBench(opts: Options, root: string, bench: Bench): Promise<void> {
  const benchStart = performance.now();
  const sqliteRuns: number[] = [];
  const memoryRuns: number[] = [];
  const rows: ReportRow[] = [];

  out(
    `UNS gateway store benchmark: node ${process.version}, ${cpus().length} CPUs, ` +
      `data dirs on ${fsTypeOf(root)} (${root}), durability full`,
  );
  if (opts.profile) out('(--profile: SQLite gateways run under --cpu-prof, figures are lower than without it)');
  if (opts.build) {
    const ms = await buildGateway(180_000);
    if (ms !== null) out(`npm run build: ok in ${fmtNum(ms / 1000, 1)} s`);
  }

  // ------------------------------------------------------------------ 1. QoS 1 throughput
  out();
  out(
    `1. QoS 1 -> online persistent subscriber (clean=false, QoS 1): ${fmtInt(opts.messages)} msgs/run ` +
      `(+${fmtInt(opts.warmup)} warm-up), window ${opts.window}, ${opts.payloadBytes} B payload, ${opts.runs} runs per store`,
  );
  {
    const gws = new Map<Engine, RunningGateway>();
    try {
      gws.set('sqlite', await bench.start('sqlite', path.join(root, 'tput-sqlite'), 'throughput gateway (sqlite)'));
      gws.set('memory', await bench.start('memory', path.join(root, 'tput-memory'), 'throughput gateway (memory)'));
      for (let run = 1; run <= opts.runs; run++) {
        // Alternate the order so that neither store always goes first.
        const order: Engine[] = run % 2 === 1 ? ['sqlite', 'memory'] : ['memory', 'sqlite'];
        for (const engine of order) {
          const gw = gws.get(engine);
          if (gw === undefined) throw new Error('gateway missing');
          const m = await runLoad(
            gw,
            {
              mode: 'throughput',
              host: HOST,
              port: gw.port,
              tag: `${engine}-r${run}`,
              warmup: opts.warmup,
              messages: opts.messages,
              window: opts.window,
              payloadBytes: opts.payloadBytes,
              timeoutMs: 90_000,
            },
            SETUP_TIMEOUT_MS,
          );
          const r = m.result;
          out(
            `  run ${run}/${opts.runs} ${engine.padEnd(6)} ${fmtInt(r.msgPerSec).padStart(7)} msg/s` +
              `  (${fmtInt(r.received)}/${fmtInt(opts.messages)} received, ${r.duplicates} dup, ${fmtMs(r.elapsedMs)})` +
              `  gateway ${fmtNum((m.gatewayCpuSec * 1e6) / r.received, 1)} µs CPU/msg` +
              `, ${cpuShares(m.gatewayCpuSec, m.hostCpuSec, r.loadgenCpuMs, r.elapsedMs)}`,
          );
          if (r.timedOut || r.received < opts.messages || r.acked < opts.messages) {
            fail(`${engine} run ${run}: ${r.received} received / ${r.acked} acked of ${opts.messages}${r.timedOut ? ' (timed out)' : ''}`);
          } else {
            (engine === 'sqlite' ? sqliteRuns : memoryRuns).push(r.msgPerSec);
          }
        }
      }
    } finally {
      for (const [engine, gw] of gws) await bench.stop(gw, `throughput gateway (${engine})`);
    }
  }
  const sqliteTput = median(sqliteRuns);
  const memoryTput = median(memoryRuns);
  const ratio = sqliteTput / memoryTput;
  rows.push(
    { label: `QoS 1 persistent sub, sqlite (median of ${sqliteRuns.length})`, value: `${fmtInt(sqliteTput)} msg/s`, target: '', verdict: '' },
    { label: `QoS 1 persistent sub, memory (median of ${memoryRuns.length})`, value: `${fmtInt(memoryTput)} msg/s`, target: '', verdict: '' },
    {
      label: '  ratio sqlite / memory',
      value: `${fmtNum(ratio, 2)}x`,
      target: `>= ${TARGET_RATIO}x`,
      verdict: Number.isFinite(ratio) ? verdict(ratio >= TARGET_RATIO) : 'FAIL',
    },
  );

  // ------------------------------------------------------------------ 2. retained
  out();
  out(
    `2. ${fmtInt(opts.retained)} retained topics (site/area/asset-N/tag-M, QoS 1, window ${opts.fillWindow}) -> ` +
      `new clean client (${opts.reader === 'raw' ? 'a lean socket-and-parser subscriber' : 'MQTT.js'}) subscribes to # at QoS ${opts.readQos}`,
  );
  const readCfg = (gw: LoadTarget, tag: string) =>
    ({
      mode: 'read',
      host: HOST,
      port: gw.port,
      tag,
      expected: opts.retained,
      prefix: 'site/area/',
      qos: opts.readQos,
      reader: opts.reader,
      timeoutMs: 30_000,
    }) as const;
  const fillCfg = (gw: LoadTarget) =>
    ({
      mode: 'fill',
      host: HOST,
      port: gw.port,
      topics: opts.retained,
      tagsPerAsset: opts.tagsPerAsset,
      window: opts.fillWindow,
      timeoutMs: 120_000,
    }) as const;
  const checkRead = (what: string, m: Measured<ReadResult>): void => {
    const r = m.result;
    if (!r.complete || r.received < opts.retained) fail(`${what}: only ${r.received} of ${opts.retained} retained messages arrived`);
    if (r.notRetained > 0) warnings.push(`${what}: ${r.notRetained} messages under site/area/ without the retain flag`);
  };
  /** The read, with the broker's RSS just before it and its peak during it. */
  const measuredRead = async (target: LoadTarget, tag: string, label: string, size: () => DbSize | undefined): Promise<RetainedRead> => {
    const rssBefore = readRssBytes(target.pid);
    const stopWatch = watchRssPeak(target.pid);
    let rssPeak = rssBefore;
    const m = await runLoad(target, readCfg(target, tag), SETUP_TIMEOUT_MS).finally(() => {
      rssPeak = stopWatch();
    });
    out(`${readLine(label, m, opts.retained)}, RSS ${fmtMiB(rssBefore)} -> peak ${fmtMiB(rssPeak)}`);
    checkRead(label, m);
    return { m, rss: readRssBytes(target.pid), rssBefore, rssPeak, size: size() };
  };

  const retainedDir = path.join(root, 'retained-sqlite');
  let fresh: RetainedRead | undefined;
  let restarted: RetainedRead | undefined;
  let stoppedSize: DbSize | undefined;
  let restartMs = Number.NaN;
  let retainedAtOpen: number | undefined;
  {
    const gw = await bench.start('sqlite', retainedDir, 'retained gateway (sqlite, first start)');
    try {
      const fill = await runLoad(gw, fillCfg(gw), SETUP_TIMEOUT_MS);
      const f = fill.result;
      out(
        `  sqlite fill                ${fmtInt(f.acked)}/${fmtInt(opts.retained)} acked in ${fmtMs(f.elapsedMs)} (${fmtInt(f.msgPerSec)} msg/s)` +
          `, ${cpuShares(fill.gatewayCpuSec, fill.hostCpuSec, f.loadgenCpuMs, f.elapsedMs)}`,
      );
      if (f.timedOut || f.acked < opts.retained) fail(`sqlite fill: ${f.acked} of ${opts.retained} acked`);
      fresh = await measuredRead(gw, 'sqlite-fresh', 'sqlite # subscriber', () => dbSize(retainedDir));
    } finally {
      await bench.stop(gw, 'retained gateway (sqlite)');
    }
    stoppedSize = dbSize(retainedDir);

    const gw2 = await bench.start('sqlite', retainedDir, 'retained gateway (sqlite, restarted)');
    try {
      restartMs = gw2.startMs;
      retainedAtOpen = gw2.retainedAtOpen;
      out(`  sqlite restart             listener ready after ${fmtMs(restartMs)}, store open with ${fmtInt(retainedAtOpen ?? Number.NaN)} retained`);
      if (retainedAtOpen === undefined || retainedAtOpen < opts.retained) {
        fail(`restarted sqlite gateway opened its store with ${retainedAtOpen ?? 'unknown'} retained, expected >= ${opts.retained}`);
      }
      restarted = await measuredRead(gw2, 'sqlite-restarted', 'sqlite # sub after restart', () => dbSize(retainedDir));
    } finally {
      await bench.stop(gw2, 'retained gateway (sqlite, restarted)');
    }
  }

  let memoryRead: RetainedRead | undefined;
  if (opts.memoryRetained) {
    const dir = path.join(root, 'retained-memory');
    const gw = await bench.start('memory', dir, 'retained gateway (memory)');
    try {
      const fill = await runLoad(gw, fillCfg(gw), SETUP_TIMEOUT_MS);
      const f = fill.result;
      out(
        `  memory fill                ${fmtInt(f.acked)}/${fmtInt(opts.retained)} acked in ${fmtMs(f.elapsedMs)} (${fmtInt(f.msgPerSec)} msg/s)` +
          `, ${cpuShares(fill.gatewayCpuSec, fill.hostCpuSec, f.loadgenCpuMs, f.elapsedMs)}`,
      );
      if (f.timedOut || f.acked < opts.retained) fail(`memory fill: ${f.acked} of ${opts.retained} acked`);
      memoryRead = await measuredRead(gw, 'memory', 'memory # subscriber', () => undefined);
    } finally {
      await bench.stop(gw, 'retained gateway (memory)');
    }
  }

  // Mosquitto as the reference, with no queue limit: its default (1,000 per client) drops retained values beyond it.
  let mosquittoRead: RetainedRead | undefined;
  const mosquittoBin = opts.mosquitto ? findMosquitto() : null;
  if (mosquittoBin !== null) {
    const mq = await startMosquitto(mosquittoBin, START_TIMEOUT_MS, ['max_queued_messages 0']);
    const target: LoadTarget = { ...mq, engine: 'mosquitto' };
    try {
      const f = (await runLoad(target, fillCfg(target), SETUP_TIMEOUT_MS)).result;
      out(`  mosquitto fill             ${fmtInt(f.acked)}/${fmtInt(opts.retained)} acked in ${fmtMs(f.elapsedMs)} (${fmtInt(f.msgPerSec)} msg/s)`);
      if (f.timedOut || f.acked < opts.retained) fail(`mosquitto fill: ${f.acked} of ${opts.retained} acked`);
      mosquittoRead = await measuredRead(target, 'mosquitto', 'mosquitto # subscriber', () => undefined);
    } finally {
      await mq.stop();
    }
  } else if (opts.mosquitto) warnings.push('no mosquitto on PATH: the retained read was not compared with it');

  const retainedRow = (label: string, r: RetainedRead | undefined, targetMs?: number): ReportRow => {
    const ms = r?.m.result.complete ? r.m.result.elapsedMs : Number.NaN;
    return {
      label,
      value: r === undefined ? 'n/a' : r.m.result.complete ? fmtMs(ms) : `incomplete (${fmtInt(r.m.result.received)})`,
      target: targetMs === undefined ? '(info)' : `< ${fmtInt(targetMs)} ms`,
      verdict: targetMs === undefined ? '' : Number.isFinite(ms) ? verdict(ms < targetMs) : 'FAIL',
    };
  };
  const n = `${Math.round(opts.retained / 1000)}k`;
  rows.push(
    retainedRow(`${n} retained -> new # sub, sqlite`, fresh, TARGET_RETAINED_MS),
    retainedRow(`${n} retained -> new # sub, sqlite restarted`, restarted, TARGET_RETAINED_RESTARTED_MS),
  );
  if (opts.memoryRetained) rows.push(retainedRow(`${n} retained -> new # sub, memory`, memoryRead));
  if (mosquittoRead !== undefined) rows.push(retainedRow(`${n} retained -> new # sub, mosquitto`, mosquittoRead));
  const readMs = (r: RetainedRead | undefined): number => (r?.m.result.complete ? r.m.result.elapsedMs : Number.NaN);
  for (const [what, r] of [['sqlite', fresh], ['sqlite restarted', restarted], ['memory', memoryRead]] as const) {
    if (r === undefined || mosquittoRead === undefined) continue;
    rows.push({ label: `  ratio ${what} / mosquitto (time to all retained)`, value: `${fmtNum(readMs(r) / readMs(mosquittoRead), 2)}x`, target: '(info)', verdict: '' });
  }
  rows.push({ label: 'sqlite restart with retained: start -> listening', value: fmtMs(restartMs), target: '(info)', verdict: '' });

  // ------------------------------------------------------------------ 3. size and RSS
  const sizeValue = (s: DbSize | undefined): string => (s === undefined ? 'n/a' : fmtMiB(s.db + s.wal));
  const sizeDetail = (s: DbSize | undefined): string =>
    s === undefined ? '' : `(db ${fmtMiB(s.db)} + wal ${fmtMiB(s.wal)})`;
  rows.push(
    { label: 'sqlite db + wal, after fill + read', value: sizeValue(fresh?.size), target: sizeDetail(fresh?.size), verdict: '' },
    { label: 'sqlite db + wal, after clean stop', value: sizeValue(stoppedSize), target: sizeDetail(stoppedSize), verdict: '' },
    { label: 'sqlite db + wal, restarted, after read', value: sizeValue(restarted?.size), target: sizeDetail(restarted?.size), verdict: '' },
    { label: 'gateway RSS, sqlite, after fill + read', value: fmtMiB(fresh?.rss ?? Number.NaN), target: '(info)', verdict: '' },
    { label: 'gateway RSS, sqlite restarted, after read', value: fmtMiB(restarted?.rss ?? Number.NaN), target: '(info)', verdict: '' },
  );
  const rise = (r: RetainedRead | undefined): string =>
    r === undefined ? 'n/a' : `+${fmtMiB(r.rssPeak - r.rssBefore)}`;
  for (const [what, r] of [['sqlite', fresh], ['sqlite restarted', restarted], ['memory', memoryRead], ['mosquitto', mosquittoRead]] as const) {
    if (r === undefined) continue;
    rows.push({ label: `RSS rise during the read, ${what}`, value: rise(r), target: `(${fmtMiB(r.rssBefore)} -> peak ${fmtMiB(r.rssPeak)})`, verdict: '' });
  }
  if (opts.memoryRetained) {
    rows.push({ label: 'gateway RSS, memory, after fill + read', value: fmtMiB(memoryRead?.rss ?? Number.NaN), target: '(info)', verdict: '' });
  }

  out();
  out(formatReport(rows));
  out();
  out(`total ${fmtNum((performance.now() - benchStart) / 1000, 1)} s`);
  if (otherCpuPeak() > OTHER_CPU_WARN) {
    warnings.push(
      `other processes used up to ${fmtPct(otherCpuPeak())} of a core during measurements (${cpus().length} CPUs): figures are noisy, rerun on an idle machine`,
    );
  }
  for (const w of warnings) out(`warning: ${w}`);
  if (failures.length > 0) {
    out();
    out(`FAILED: ${failures.length} problem(s):`);
    for (const f of failures) out(`  - ${f.split('\n')[0] ?? f}`);
    process.exitCode = 1;
  }
}

runMain('bench/store', main, TOTAL_TIMEOUT_MS);
