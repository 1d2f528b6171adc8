/**
 * What the SQLite store writes to disk for tag values: each changing tag's retained value is written at most
 * once per deferral (5 s), in slices of 1,000 rows. The gateway runs in this process (bench/shared/in-process-
 * gateway.ts) with 10,000 and 50,000 tags named as a plant names them (`acme-works/press-shop/transfer-line-4/
 * zone-7-temperature-1234`); 50,000 values a second come in bursts of 1,000 every 20 ms, each burst spread over
 * the tags in no particular order, as OPC UA notifications come; no subscriber. After a
 * warm-up, over a window, it prints rows written a second, bytes written a second (the process's write() calls:
 * the WAL, and the checkpoints into the database file), bytes written per row against the row's own size (the
 * write amplification: what an SD card wears by), the batch commits (count, mean and slowest) and the event
 * loop's longest stall, with CPU.
 *
 *   node --import tsx bench/retained-writes/main.ts [--tags 10000,50000] [--seconds 25]
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { COMMIT_LATENCY_BUCKETS_MS } from '../../src/store/batch-writer.ts';
import { startInProcessGateway, type TagNaming } from '../shared/in-process-gateway.ts';
import { runMain } from '../shared/run-main.ts';
import { fmtInt, fmtNum, formatTable } from '../shared/table.ts';

const BURST = 1000;
const GAP_MS = 20;
const WARMUP_MS = 7000;
/** Spreads each burst over the tags: consecutive values go to tags this far apart (a prime, so every tag comes up). */
const STRIDE = 7919;
/** Topics of the length and shape a plant's have: a long shared prefix, then the tag. */
const PLANT_NAMES: TagNaming = { site: 'acme-works', area: 'press-shop', asset: 'transfer-line-4', tag: (i) => `zone-${i % 10}-temperature-${i}` };

interface Figures {
  tags: number;
  seconds: number;
  rows: number;
  bytes: number;
  rowBytes: number;
  commits: number;
  commitMeanMs: number;
  /** The upper bound of the slowest commit's latency bucket, ms (Infinity past the last). */
  commitMaxMs: number;
  loopMaxMs: number;
  cpuMsPerS: number;
}

/** Bytes this process has passed to write() and its kin so far (/proc/self/io). */
function bytesWritten(): number {
  const match = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  if (!match?.[1]) throw new Error('/proc/self/io has no wchar line');
  return Number(match[1]);
}

async function measure(tags: number, seconds: number): Promise<Figures> {
  const { gateway, tagId, send, stop } = await startInProcessGateway('sqlite', tags, PLANT_NAMES);
  const store = gateway.store;
  if (!store) throw new Error('the gateway has no SQLite store');
  const changes = store.database.prepare('SELECT total_changes() AS n').pluck();
  let tick = 0;
  const feed = async (ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      tick++;
      const now = Date.now();
      send(Array.from({ length: BURST }, (_, i) => ({ tagId: tagId((tick * BURST + i * STRIDE) % tags), value: tick + i, quality: 'good', timestamp: now })));
      await sleep(GAP_MS);
    }
  };
  await feed(WARMUP_MS);
  const { writer } = store.persistence;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  writer.commitLatency.clear();
  const batches0 = writer.stats.batches;
  const changes0 = changes.get() as number;
  const bytes0 = bytesWritten();
  const cpu0 = process.cpuUsage();
  loop.enable();
  await feed(seconds * 1000);
  loop.disable();
  const cpu = process.cpuUsage(cpu0);
  const bytes = bytesWritten() - bytes0;
  const rows = (changes.get() as number) - changes0;
  const commits = writer.stats.batches - batches0;
  const slowest = writer.commitLatency.counts.findLastIndex((count) => count > 0);
  const rowBytes = store.database.prepare('SELECT avg(length(CAST(topic AS BLOB)) + length(payload) + length(meta)) FROM retained').pluck().get() as number;
  await stop();
  return {
    tags,
    seconds,
    rows,
    bytes,
    rowBytes,
    commits,
    commitMeanMs: commits > 0 ? writer.commitLatency.sum / commits : 0,
    commitMaxMs: COMMIT_LATENCY_BUCKETS_MS[slowest] ?? Number.POSITIVE_INFINITY,
    loopMaxMs: loop.max / 1e6,
    cpuMsPerS: (cpu.user + cpu.system) / 1000 / seconds,
  };
}

function report(all: Figures[]): string {
  const headers = ['tags', 'rows/s', 'MB written/s', 'bytes/row', 'row bytes', 'amplification', 'commits', 'mean ms', 'slowest ms', 'loop stall ms', 'CPU ms/s'];
  const rows = all.map((f) => {
    const perRow = f.rows > 0 ? f.bytes / f.rows : 0;
    return [
      fmtInt(f.tags),
      fmtInt(f.rows / f.seconds),
      fmtNum(f.bytes / 1e6 / f.seconds, 2),
      fmtInt(perRow),
      fmtInt(f.rowBytes),
      `${fmtNum(perRow / f.rowBytes, 1)}×`,
      fmtInt(f.commits),
      fmtNum(f.commitMeanMs, 1),
      `≤ ${f.commitMaxMs}`,
      fmtInt(f.loopMaxMs),
      fmtInt(f.cpuMsPerS),
    ];
  });
  return [
    `Retained tag values on disk (store.engine sqlite), ${fmtInt(BURST * (1000 / GAP_MS))} values/s spread over the tags, no subscriber:`,
    formatTable(headers, rows, () => true),
    "rows/s: SQLite row changes in the window; MB written: write() bytes of this process (WAL, checkpoints); amplification: bytes written per row ÷ the row's own bytes;",
    "slowest: the upper bound of the slowest commit's latency bucket; loop stall: the event loop's longest delay (monitorEventLoopDelay).",
    '',
  ].join('\n');
}

runMain(
  'bench:retained-writes',
  async () => {
    const { values } = parseArgs({ options: { tags: { type: 'string', default: '10000,50000' }, seconds: { type: 'string', default: '25' } } });
    const seconds = Number(values.seconds);
    const sizes = values.tags.split(',').map(Number);
    if (!(seconds > 0) || sizes.some((n) => !Number.isInteger(n) || n < 1000)) throw new Error('--tags takes counts of at least 1000, --seconds a positive number');
    const all: Figures[] = [];
    for (const tags of sizes) all.push(await measure(tags, seconds));
    process.stdout.write(report(all));
    process.exit(0);
  },
  15 * 60_000,
);
