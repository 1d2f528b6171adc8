/**
 * Load-generator child process for bench/store/main.ts (run with `node --import tsx`).
 * One StoreLoadConfig as JSON in argv[2]; see store-protocol.ts for the handshake.
 * Every phase is bounded: a window of outstanding QoS 1 publishes, and a timeout.
 */
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import {
  parseLoadConfig,
  type FillConfig,
  type FillResult,
  type LoadEvent,
  type ReadConfig,
  type ReadResult,
  type ThroughputConfig,
  type ThroughputResult,
} from './protocol.ts';
import { connectRawReader, type RawReader } from './raw-reader.ts';

function emit(ev: LoadEvent): void {
  process.stdout.write(`${JSON.stringify(ev)}\n`);
}

function cpuMsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** Rejects the phase in progress; set while a measured or warm-up phase runs. */
let abortPhase: ((err: Error) => void) | null = null;

/** Runs `body` with `abortPhase` pointing at its reject (a lost connection ends it at once). */
function phase<T>(body: (resolve: (v: T) => void, reject: (err: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    abortPhase = reject;
    body(resolve, reject);
  }).finally(() => {
    abortPhase = null;
  });
}

async function connect(host: string, port: number, clientId: string, clean: boolean): Promise<MqttClient> {
  const opts: IClientOptions = {
    clientId,
    protocolVersion: 4,
    clean,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    keepalive: 60,
  };
  const client = await connectAsync(`mqtt://${host}:${port}`, opts, false);
  // Small QoS 1 packets otherwise wait for Nagle; measure the broker, not the client socket.
  if (client.stream instanceof Socket) client.stream.setNoDelay(true);
  client.on('error', (err) => abortPhase?.(new Error(`${clientId}: ${err.message}`)));
  client.on('close', () => abortPhase?.(new Error(`${clientId}: connection closed by the broker`)));
  return client;
}

/** Ends all clients, forcing them closed after `timeoutMs`. */
async function endAll(clients: readonly MqttClient[], timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled(clients.map((c) => c.endAsync())), timeout]);
  clearTimeout(timer);
  for (const c of clients) if (!c.disconnected) c.end(true);
}

function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      if (line.trim() === 'go') {
        resolve(); // before close(): 'close' is emitted synchronously and would reject
        rl.close();
      }
    });
    rl.once('close', () => reject(new Error('stdin closed before "go"')));
  });
}

// ---------------------------------------------------------------- throughput

interface RoundOutcome {
  sent: number;
  acked: number;
  received: number;
  duplicates: number;
  elapsedMs: number;
  timedOut: boolean;
}

type ReceiveHook = (payload: Buffer) => void;

/**
 * One round: `total` QoS 1 publishes; a message is outstanding until the
 * publisher has its PUBACK and the subscriber has it. At most `window` are
 * outstanding. The payload carries (round id, sequence number) so duplicates
 * and stray messages are not counted.
 */
function throughputRound(
  pub: MqttClient,
  setHook: (hook: ReceiveHook | null) => void,
  topic: string,
  roundId: number,
  total: number,
  cfg: ThroughputConfig,
): Promise<RoundOutcome> {
  const size = Math.max(5, cfg.payloadBytes);
  const seen = new Uint8Array(total);
  let sent = 0;
  let acked = 0;
  let received = 0;
  let duplicates = 0;
  let firstPublishAt = 0;
  let lastReceiptAt = 0;

  return phase<RoundOutcome>((resolve, reject) => {
    let finished = false;
    const finish = (timedOut: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      setHook(null);
      resolve({ sent, acked, received, duplicates, elapsedMs: lastReceiptAt - firstPublishAt, timedOut });
    };
    const timer = setTimeout(() => finish(true), cfg.timeoutMs);

    const check = (): void => {
      if (received >= total && acked >= total) finish(false);
      else pump();
    };

    const pump = (): void => {
      while (!finished && sent < total && sent - Math.min(acked, received) < cfg.window) {
        const seq = sent++;
        const payload = Buffer.allocUnsafe(size).fill(0x61);
        payload.writeUInt8(roundId, 0);
        payload.writeUInt32BE(seq, 1);
        if (seq === 0) firstPublishAt = performance.now();
        pub.publish(topic, payload, { qos: 1 }, (err) => {
          if (finished) return;
          if (err) {
            finished = true;
            clearTimeout(timer);
            setHook(null);
            reject(err);
            return;
          }
          acked++;
          check();
        });
      }
    };

    setHook((payload) => {
      if (payload.length < 5 || payload.readUInt8(0) !== roundId) return;
      const seq = payload.readUInt32BE(1);
      if (seq >= total) return;
      if (seen[seq] === 1) {
        duplicates++;
        return;
      }
      seen[seq] = 1;
      received++;
      lastReceiptAt = performance.now();
      check();
    });
    pump();
  });
}

async function runThroughput(cfg: ThroughputConfig): Promise<ThroughputResult> {
  const subId = `store-bench-${cfg.tag}-sub`;
  const topic = `bench/store/${cfg.tag}`;
  // A persistent session, online for the whole run.
  const sub = await connect(cfg.host, cfg.port, subId, false);
  const clients = [sub];
  try {
    const granted = await sub.subscribeAsync(topic, { qos: 1 });
    if (granted[0]?.qos !== 1) throw new Error(`subscription not granted at QoS 1: ${JSON.stringify(granted)}`);
    const pub = await connect(cfg.host, cfg.port, `store-bench-${cfg.tag}-pub`, true);
    clients.push(pub);

    let hook: ReceiveHook | null = null;
    sub.on('message', (_topic, payload) => hook?.(payload));
    const setHook = (h: ReceiveHook | null): void => {
      hook = h;
    };

    if (cfg.warmup > 0) {
      const w = await throughputRound(pub, setHook, topic, 1, cfg.warmup, { ...cfg, timeoutMs: 30_000 });
      if (w.timedOut) throw new Error(`warm-up timed out (${w.received}/${cfg.warmup} received, ${w.acked} acked)`);
    }
    emit({ event: 'ready' });
    await waitForGo();
    const cpu = process.cpuUsage();
    const r = await throughputRound(pub, setHook, topic, 2, cfg.messages, cfg);
    const loadgenCpuMs = cpuMsSince(cpu);
    return {
      mode: 'throughput',
      ...r,
      msgPerSec: r.elapsedMs > 0 ? (r.received * 1000) / r.elapsedMs : 0,
      loadgenCpuMs,
    };
  } finally {
    // Leave no session behind: unsubscribe, then wipe the session with a clean connect.
    try {
      if (sub.connected) await sub.unsubscribeAsync(topic);
    } catch {
      // best effort
    }
    await endAll(clients, 5000);
    try {
      const wipe = await connect(cfg.host, cfg.port, subId, true);
      await endAll([wipe], 5000);
    } catch {
      // best effort
    }
  }
}

// ---------------------------------------------------------------- retained fill

function retainedTopic(i: number, tagsPerAsset: number): string {
  return `site/area/asset-${Math.floor(i / tagsPerAsset)}/tag-${i % tagsPerAsset}`;
}

async function runFill(cfg: FillConfig): Promise<FillResult> {
  const pub = await connect(cfg.host, cfg.port, `store-bench-fill-${process.pid}`, true);
  try {
    emit({ event: 'ready' });
    await waitForGo();
    const cpu = process.cpuUsage();
    const start = performance.now();
    const ts = Date.now();
    let sent = 0;
    let acked = 0;
    const timedOut = await phase<boolean>((resolve, reject) => {
      let finished = false;
      const timer = setTimeout(() => {
        finished = true;
        resolve(true);
      }, cfg.timeoutMs);
      const pump = (): void => {
        while (!finished && sent < cfg.topics && sent - acked < cfg.window) {
          const i = sent++;
          const payload = Buffer.from(`{"v":${(i % 1000) / 10},"q":"good","t":${ts + i}}`);
          pub.publish(retainedTopic(i, cfg.tagsPerAsset), payload, { qos: 1, retain: true }, (err) => {
            if (finished) return;
            if (err) {
              finished = true;
              clearTimeout(timer);
              reject(err);
              return;
            }
            acked++;
            if (acked >= cfg.topics) {
              finished = true;
              clearTimeout(timer);
              resolve(false);
            } else {
              pump();
            }
          });
        }
      };
      pump();
    });
    const elapsedMs = performance.now() - start;
    return {
      mode: 'fill',
      sent,
      acked,
      elapsedMs,
      msgPerSec: (acked * 1000) / elapsedMs,
      timedOut,
      loadgenCpuMs: cpuMsSince(cpu),
    };
  } finally {
    await endAll([pub], 5000);
  }
}

// ---------------------------------------------------------------- retained read

async function runRead(cfg: ReadConfig): Promise<ReadResult> {
  if (cfg.reader === 'raw') return runRawRead(cfg);
  const client = await connect(cfg.host, cfg.port, `store-bench-read-${cfg.tag}-${process.pid}`, true);
  try {
    emit({ event: 'ready' });
    await waitForGo();
    const cpu = process.cpuUsage();
    let received = 0;
    let other = 0;
    let notRetained = 0;
    let firstAt = Number.NaN;
    let lastAt = Number.NaN;
    let subackAt = Number.NaN;
    let start = 0;
    const complete = await phase<boolean>((resolve, reject) => {
      let finished = false;
      const done = (ok: boolean): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        resolve(ok);
      };
      const timer = setTimeout(() => done(false), cfg.timeoutMs);
      client.on('message', (topic, _payload, packet) => {
        if (!topic.startsWith(cfg.prefix)) {
          other++;
          return;
        }
        if (!packet.retain) {
          notRetained++;
          return;
        }
        received++;
        lastAt = performance.now();
        if (received === 1) firstAt = lastAt;
        if (received >= cfg.expected) done(true);
      });
      start = performance.now();
      client.subscribe('#', { qos: cfg.qos }, (err, granted) => {
        subackAt = performance.now();
        if (err) {
          finished = true;
          clearTimeout(timer);
          reject(err);
        } else if (granted?.[0]?.qos === 128) {
          finished = true;
          clearTimeout(timer);
          reject(new Error('subscription to # refused'));
        }
      });
    });
    return {
      mode: 'read',
      received,
      other,
      notRetained,
      subackMs: subackAt - start,
      firstMs: firstAt - start,
      elapsedMs: (Number.isNaN(lastAt) ? performance.now() : lastAt) - start,
      complete,
      loadgenCpuMs: cpuMsSince(cpu),
    };
  } finally {
    await endAll([client], 5000);
  }
}

async function runRawRead(cfg: ReadConfig): Promise<ReadResult> {
  const reader = await connectRawReader(cfg.host, cfg.port, `store-bench-read-${cfg.tag}-${process.pid}`);
  try {
    emit({ event: 'ready' });
    await waitForGo();
    const cpu = process.cpuUsage();
    const { counts, complete } = await phase<Awaited<ReturnType<RawReader['read']>>>((resolve, reject) => {
      reader.read(cfg.expected, cfg.prefix, cfg.qos, cfg.timeoutMs).then(resolve, reject);
    });
    const { received, other, notRetained, subackMs, firstMs, lastMs } = counts;
    return { mode: 'read', received, other, notRetained, subackMs, firstMs, elapsedMs: lastMs, complete, loadgenCpuMs: cpuMsSince(cpu) };
  } finally {
    reader.close();
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const cfg = parseLoadConfig(process.argv[2]);
  const result =
    cfg.mode === 'throughput' ? await runThroughput(cfg) : cfg.mode === 'fill' ? await runFill(cfg) : await runRead(cfg);
  emit({ event: 'result', result });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    emit({ event: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  },
);
