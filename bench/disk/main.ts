/**
 * Disk bound benchmark: a QoS 1 flood to an offline persistent session against store.maxSizeMB.
 *
 *   node --import tsx bench/disk/main.ts [--bound MB] [--total MB] [--payload BYTES] [--window N] [--no-build]
 *
 * 1. Starts the gateway (`node bin/uns-gateway.js run`, durability full) with store.maxSizeMB = --bound
 *    (default 20), after `npm run build` unless --no-build.
 * 2. A persistent session (clean=false) subscribes at QoS 1 and disconnects.
 * 3. One client publishes --total MB (default 200) of QoS 1 payload in messages of --payload bytes
 *    (default 8192), with --window publishes (default 64) awaiting their PUBACK.
 * 4. The database file plus its WAL is sampled every 2 ms from this process, during the flood and
 *    for 2.5 s after it (the WAL is truncated once the store is idle).
 * 5. The session reconnects and receives what was kept.
 *
 * Prints the peak and final size of db + WAL against the bound, and the flood's throughput.
 * Exit code 1 when something failed: the gateway, a kept message not delivered or out of order, or
 * delivered plus dropped (from the gateway's log) not adding up to what was sent. A size over
 * the bound plus its documented 5% margin is reported as MISS.
 */
import { Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { buildGateway, dbSize, startGateway } from '../shared/store-gateway.ts';
import { fmtInt, fmtMiB, fmtNum, formatReport, type ReportRow, type Verdict } from '../store/report.ts';

const MARGIN = 1.05;
const MiB = 1024 * 1024;
const SAMPLE_MS = 2;
const IDLE_MS = 2500;
const QUIET_MS = 1500;
const START_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 120_000;
const DROP_LOG = 'store size limit reached: oldest queued messages dropped';

interface Options {
  boundMB: number;
  totalMB: number;
  payloadBytes: number;
  window: number;
  build: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { boundMB: 20, totalMB: 200, payloadBytes: 8192, window: 64, build: true };
  const num = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new Error(`${flag} needs a number of at least ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--bound') o.boundMB = num(a, argv[++i], 1);
    else if (a === '--total') o.totalMB = num(a, argv[++i], 1);
    else if (a === '--payload') o.payloadBytes = Math.floor(num(a, argv[++i], 16));
    else if (a === '--window') o.window = Math.floor(num(a, argv[++i], 1));
    else if (a === '--no-build') o.build = false;
    else throw new Error(`unknown option ${a}\nusage: node --import tsx bench/disk/main.ts [--bound MB] [--total MB] [--payload BYTES] [--window N] [--no-build]`);
  }
  return o;
}

async function connect(port: number, clientId: string, clean: boolean): Promise<MqttClient> {
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, clean, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 });
  if (client.stream instanceof Socket) client.stream.setNoDelay(true);
  return client;
}

/** Publishes `count` numbered messages, `window` awaiting their PUBACK at a time; resolves with the time taken. */
async function flood(client: MqttClient, count: number, payloadBytes: number, window: number): Promise<number> {
  const filler = 'p'.repeat(payloadBytes);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const prefix = `${i}:`;
      await client.publishAsync('flood/v', prefix + filler.slice(prefix.length), { qos: 1 });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: window }, lane));
  return performance.now() - t0;
}

/** The message numbers the session receives on reconnect, until none came for QUIET_MS. */
async function drain(port: number): Promise<number[]> {
  const numbers: number[] = [];
  const client = await connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'historian', clean: false, protocolVersion: 4, reconnectPeriod: 0 }, false);
  await new Promise<void>((resolve, reject) => {
    let quiet: NodeJS.Timeout = setTimeout(resolve, QUIET_MS);
    const deadline = setTimeout(() => reject(new Error(`still receiving after ${DRAIN_TIMEOUT_MS} ms`)), DRAIN_TIMEOUT_MS);
    client.on('message', (_topic, payload) => {
      numbers.push(Number(payload.subarray(0, 12).toString('latin1').split(':')[0]));
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        clearTimeout(deadline);
        resolve();
      }, QUIET_MS);
    });
    client.connect();
  });
  await client.endAsync();
  return numbers;
}

function within(bytes: number, limit: number): Verdict {
  return bytes <= limit ? 'PASS' : 'MISS';
}

async function main(): Promise<number> {
  const o = parseOptions(process.argv.slice(2));
  if (o.build) await buildGateway(120_000);
  const bound = o.boundMB * MiB;
  const count = Math.ceil((o.totalMB * MiB) / o.payloadBytes);
  const dir = makeTempDir('uns-bench-disk-');
  let dropped = 0;
  const gateway = await startGateway({
    engine: 'sqlite',
    dir,
    startTimeoutMs: START_TIMEOUT_MS,
    maxSizeMB: o.boundMB,
    onLog: (record) => {
      if (record.msg === DROP_LOG && typeof record.total === 'number') dropped = record.total;
    },
  });
  try {
    const historian = await connect(gateway.port, 'historian', false);
    await historian.subscribeAsync('flood/#', { qos: 1 });
    await historian.endAsync();

    const size = () => {
      const s = dbSize(dir);
      return { total: s.db + s.wal, wal: s.wal };
    };
    let peak = 0;
    let peakWal = 0;
    const sampler = setInterval(() => {
      const s = size();
      peak = Math.max(peak, s.total);
      peakWal = Math.max(peakWal, s.wal);
    }, SAMPLE_MS);
    const publisher = await connect(gateway.port, 'flooder', true);
    process.stdout.write(`flooding ${fmtInt(count)} messages of ${fmtInt(o.payloadBytes)} B (${o.totalMB} MiB) against maxSizeMB ${o.boundMB}...\n`);
    const floodMs = await flood(publisher, count, o.payloadBytes, o.window);
    await publisher.endAsync();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    clearInterval(sampler);
    const final = size();

    const received = await drain(gateway.port);
    const first = count - received.length;
    const inOrder = received.every((n, k) => n === first + k);
    const stop = await gateway.stop(15_000);
    const failed = gateway.errors().length > 0 || stop.forced || stop.code !== 0;
    const accounted = received.length + dropped === count;

    const rows: ReportRow[] = [
      { label: 'bound (store.maxSizeMB)', value: fmtMiB(bound), target: 'db + WAL', verdict: '' },
      { label: 'QoS 1 payload sent', value: fmtMiB(count * o.payloadBytes), target: `${fmtInt(count)} messages, window ${o.window}`, verdict: '' },
      { label: 'flood throughput', value: `${fmtInt((count / floodMs) * 1000)} msg/s`, target: `${fmtNum((count * o.payloadBytes) / MiB / (floodMs / 1000), 1)} MiB/s`, verdict: '' },
      { label: 'peak db + WAL', value: fmtMiB(peak), target: `<= bound + 5% (${fmtMiB(bound * MARGIN)}), sampled every ${SAMPLE_MS} ms`, verdict: within(peak, bound * MARGIN) },
      { label: 'peak WAL', value: fmtMiB(peakWal), target: 'part of the above', verdict: '' },
      { label: 'final db + WAL (idle)', value: fmtMiB(final.total), target: `<= bound, WAL ${fmtMiB(final.wal)}`, verdict: within(final.total, bound) },
      { label: 'dropped, oldest first (logged)', value: fmtInt(dropped), target: `${fmtNum((dropped / count) * 100, 1)}% of sent`, verdict: '' },
      {
        label: 'delivered on reconnect',
        value: fmtInt(received.length),
        target: `the newest, in order; + dropped = sent`,
        verdict: inOrder && accounted ? 'PASS' : 'FAIL',
      },
      { label: 'gateway', value: failed ? 'failed' : 'clean stop', target: '', verdict: failed ? 'FAIL' : 'PASS' },
    ];
    process.stdout.write(`\n${formatReport(rows)}\n`);
    if (failed) process.stdout.write(`--- gateway output (tail) ---\n${gateway.logTail()}\n`);
    return rows.some((r) => r.verdict === 'FAIL') ? 1 : 0;
  } finally {
    if (gateway.alive()) await gateway.stop(5000);
    removeTempDir(dir);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:disk failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
