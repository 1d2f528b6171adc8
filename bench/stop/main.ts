/**
 * What held values cost a start and a clean stop with 10,000 tags on the SQLite store. The data folder
 * starts as a crash leaves it (every value retained `good`, ten minutes old); the gateway starts with
 * its device silent (it accepts the connection and never answers), gets a fresh good value for every
 * tag, and stops, without a subscriber and with a QoS 1 subscriber (MQTT.js, in this process) on every
 * tag topic. Prints the start and stop times (wall and process CPU), how many values each marked
 * (start: UNS_ERR_VALUE_STALE in the store before any client connects; stop: UNS_ERR_GATEWAY_STOPPED
 * delivered to the subscriber and found in the store reopened), as the median of a few rounds.
 *
 *   node --import tsx bench/stop/main.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectAsync } from 'mqtt';
import { loadConfig } from '../../src/config/load.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { startGateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { openStore } from '../../src/store/store.ts';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { BENCH_HTTP_YAML } from '../shared/gateway-process.ts';

const TAGS = 10_000;
const ROUNDS = 3;
const STORE = { dataDir: './data', engine: 'sqlite', durability: 'full', maxQueuedPerClient: 100, maxSizeMB: 1024 } as const;
const log = createLogger('silent');

function writeConfig(dir: string, devicePort: number): string {
  mkdirSync(path.join(dir, 'mappings'), { recursive: true });
  const file = path.join(dir, 'gateway.yaml');
  writeFileSync(file, `id: bench\nbroker:\n  listeners:\n    - { protocol: tcp, host: 127.0.0.1, port: 0 }\nstore: { dataDir: ./data }\n${BENCH_HTTP_YAML}\nmappings: [mappings/*.yaml]\n`);
  const tags = Array.from({ length: TAGS }, (_, i) => `      - { name: v${i}, register: holding, address: ${i}, dataType: uint16 }`);
  const device = ['devices:', '  - name: dev', '    protocol: modbus', `    transport: { type: tcp, host: 127.0.0.1, port: ${devicePort} }`, '    timeoutMs: 60000', '    site: s', '    area: a', '    asset: b', '    tags:', ...tags, ''];
  writeFileSync(path.join(dir, 'mappings', 'dev.yaml'), device.join('\n'));
  return file;
}

/** Retained payloads in the store of `dir`, counted by status (`good` for none). */
async function countByStatus(dataDir: string): Promise<Map<string, number>> {
  const store = openStore(STORE, dataDir, log);
  const counts = new Map<string, number>();
  for (let i = 0; i < TAGS; i++) {
    const payload = store.persistence.retained.get(`s/a/b/v${i}`)?.payload.toString('utf8');
    const status = payload === undefined ? 'none' : ((JSON.parse(payload) as { status?: string }).status ?? 'good');
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  await store.close();
  return counts;
}

async function crashedStore(dataDir: string, timestamp: number): Promise<void> {
  const store = openStore(STORE, dataDir, log);
  await Promise.all(
    Array.from({ length: TAGS }, (_, i) =>
      store.persistence.storeRetained({ cmd: 'publish', topic: `s/a/b/v${i}`, payload: Buffer.from(`{"value":${i},"timestamp":${timestamp},"quality":"good"}`), qos: 1, retain: true, dup: false }),
    ),
  );
  await store.close();
}

interface Round {
  startMs: number;
  stopMs: number;
  stopCpuMs: number;
  staleAtStart: number;
  delivered: number;
  stoppedInStore: number;
}

async function round(subscribe: boolean): Promise<Round> {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const dir = makeTempDir('uns-bench-stop-');
  const dataDir = path.join(dir, 'data');
  try {
    await crashedStore(dataDir, Date.now() - 600_000);
    const config = loadConfig(writeConfig(dir, (silent.address() as AddressInfo).port));
    const t0 = performance.now();
    const gateway = await startGateway(config, log);
    const startMs = performance.now() - t0;
    const staleAtStart = [...Array(TAGS).keys()].filter((i) => gateway.store?.persistence.retained.get(`s/a/b/v${i}`)?.payload.includes(ErrorCodes.VALUE_STALE)).length;

    const port = gateway.broker.listeners[0]?.port ?? 0;
    const subscriber = await connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0 });
    let delivered = 0;
    subscriber.on('message', (_topic, payload) => {
      if (payload.includes(ErrorCodes.GATEWAY_STOPPED)) delivered++;
    });
    if (subscribe) await subscriber.subscribeAsync('s/#', { qos: 1 });
    const now = Date.now();
    gateway.publisher.onSamples(Array.from({ length: TAGS }, (_, i) => ({ tagId: `dev/v${i}`, value: i + 1, quality: 'good' as const, timestamp: now })));
    await sleep(2000);

    const t1 = performance.now();
    const cpu = process.cpuUsage();
    await gateway.stop();
    const stopMs = performance.now() - t1;
    const used = process.cpuUsage(cpu);
    await subscriber.endAsync(true);
    const stoppedInStore = (await countByStatus(dataDir)).get(ErrorCodes.GATEWAY_STOPPED) ?? 0;
    return { startMs, stopMs, stopCpuMs: (used.user + used.system) / 1000, staleAtStart, delivered, stoppedInStore };
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    removeTempDir(dir);
  }
}

async function rounds(subscribe: boolean): Promise<(pick: (r: Round) => number) => string> {
  const done: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) done.push(await round(subscribe));
  return (pick) => String(Math.round([...done].map(pick).sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] ?? 0));
}

const alone = await rounds(false);
const watched = await rounds(true);
process.stdout.write(
  `${TAGS.toLocaleString('en-US')} tags, SQLite store, median of ${ROUNDS} rounds:\n` +
    `  start (values left good by a crash)  ${alone((r) => r.startMs)} ms, ${alone((r) => r.staleAtStart)} marked ${ErrorCodes.VALUE_STALE} before listening\n` +
    `  clean stop, no subscriber            ${alone((r) => r.stopMs)} ms (CPU ${alone((r) => r.stopCpuMs)} ms), ${alone((r) => r.stoppedInStore)} ${ErrorCodes.GATEWAY_STOPPED} in the store reopened\n` +
    `  clean stop, a QoS 1 subscriber       ${watched((r) => r.stopMs)} ms (CPU ${watched((r) => r.stopCpuMs)} ms, the subscriber's included), ${watched((r) => r.delivered)} delivered, ${watched((r) => r.stoppedInStore)} in the store reopened\n`,
);
process.exit(0);
