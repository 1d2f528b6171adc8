/**
 * Main-thread cost of one tag value: sample batches (encoded and posted over a MessageChannel, as a connector
 * thread sends them) → the decoder → the northbound consumers and the namespace publisher → aedes → the
 * retained store → one QoS 0 subscriber on a raw socket that only counts bytes. 10,000 tags, bursts of 1,000
 * values every 20 ms; the gateway runs in this process, its connector (a Modbus device on a closed port)
 * idle. Prints process CPU per value for the SQLite store and for aedes' memory persistence, the baseline.
 *
 *   node --import tsx bench/namespace/main.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageChannel } from 'node:worker_threads';
import mqttPacket from 'mqtt-packet';
import { SampleDecoder, SampleEncoder, type SampleBatch } from '../../connectors/sample-batch.ts';
import type { Sample } from '../../connectors/sdk.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startGateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { BENCH_HTTP_YAML } from '../shared/gateway-process.ts';

const TAGS = 10_000;
const BURST = 1000;
const WARMUP_BURSTS = 100;
const BURSTS = 300;
const GAP_MS = 20;

function writeConfig(dir: string, engine: 'sqlite' | 'memory'): string {
  mkdirSync(path.join(dir, 'mappings'), { recursive: true });
  const file = path.join(dir, 'gateway.yaml');
  writeFileSync(file, `id: bench\nbroker:\n  listeners:\n    - { protocol: tcp, host: 127.0.0.1, port: 0 }\nstore: { dataDir: ./data, engine: ${engine} }\n${BENCH_HTTP_YAML}\nmappings: [mappings/*.yaml]\n`);
  const tags = Array.from({ length: TAGS }, (_, i) => `      - { name: v${i}, register: holding, address: ${i}, dataType: uint16 }`);
  const device = ['devices:', '  - name: dev', '    protocol: modbus', '    transport: { type: tcp, host: 127.0.0.1, port: 1 }', '    site: s', '    area: a', '    asset: b', '    tags:', ...tags, ''];
  writeFileSync(path.join(dir, 'mappings', 'dev.yaml'), device.join('\n'));
  return file;
}

async function measure(engine: 'sqlite' | 'memory'): Promise<number> {
  const dir = makeTempDir('uns-bench-namespace-');
  const gateway = await startGateway(loadConfig(writeConfig(dir, engine)), createLogger('silent'));
  const listener = gateway.broker.listeners[0];
  if (!listener) throw new Error('no listener');
  const socket = connect(listener.port, '127.0.0.1');
  socket.on('data', () => undefined);
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'sub', keepalive: 0 }));
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 's/#', qos: 0 }] }));
  await sleep(1500);
  const { port1, port2 } = new MessageChannel();
  const encoder = new SampleEncoder();
  const decoder = new SampleDecoder((id) => gateway.publisher.knownTagId(id));
  port2.on('message', (batch: SampleBatch) => gateway.northbound.onSamples(decoder.decode(batch)));
  let tick = 0;
  const bursts = async (count: number): Promise<void> => {
    for (let k = 0; k < count; k++) {
      tick++;
      const now = Date.now();
      const samples: Sample[] = Array.from({ length: BURST }, (_, i) => ({ tagId: `dev/v${(tick * BURST + i) % TAGS}`, value: tick + i, quality: 'good', timestamp: now }));
      const batch = encoder.encode(samples);
      port1.postMessage(batch, [batch.columns]);
      await sleep(GAP_MS);
    }
  };
  await bursts(WARMUP_BURSTS);
  const cpu0 = process.cpuUsage();
  await bursts(BURSTS);
  await sleep(200);
  const cpu = process.cpuUsage(cpu0);
  port1.close();
  socket.destroy();
  await gateway.stop();
  removeTempDir(dir);
  return (cpu.user + cpu.system) / (BURSTS * BURST);
}

const sqlite = await measure('sqlite');
const memory = await measure('memory');
process.stdout.write(
  `CPU per tag value (whole process), ${TAGS.toLocaleString('en-US')} tags, bursts of ${BURST} every ${GAP_MS} ms, ${BURSTS} bursts:\n` +
    `  SQLite store          ${sqlite.toFixed(2)} µs\n  aedes memory store    ${memory.toFixed(2)} µs (baseline)\n  ratio                 ${(sqlite / memory).toFixed(2)}×\n`,
);
process.exit(0);
