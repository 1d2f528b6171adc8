/**
 * The gateway in the bench's own process, fed as its connector threads feed it: `tags` Modbus tags of device `dev`
 * on a closed port, so that the real connector stays idle, and sample batches encoded, posted over a MessageChannel
 * (columns transferred) and decoded on this thread. By default the tags are `v0`…, their topics `s/a/b/v0`….
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { SampleDecoder, SampleEncoder, type SampleBatch } from '../../connectors/sample-batch.ts';
import type { Sample } from '../../connectors/sdk.ts';
import { loadConfig } from '../../src/config/load.ts';
import { startGateway, type Gateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { makeTempDir, removeTempDir } from './cleanup.ts';
import { BENCH_GATEWAY_YAML } from './gateway-process.ts';

/** Where the tags go in the namespace: one site, area and asset, and each tag's name. */
export interface TagNaming {
  site: string;
  area: string;
  asset: string;
  tag: (index: number) => string;
}

const SHORT_NAMES: TagNaming = { site: 's', area: 'a', asset: 'b', tag: (index) => `v${index}` };

export interface InProcessGateway {
  readonly gateway: Gateway;
  /** The id of tag number `index`, for samples. */
  tagId(index: number): string;
  /** Sends samples as one batch, as a connector thread does. */
  send(samples: Sample[]): void;
  stop(): Promise<void>;
}

function writeConfig(dir: string, engine: 'sqlite' | 'memory', tags: number, names: TagNaming): string {
  mkdirSync(path.join(dir, 'mappings'), { recursive: true });
  const file = path.join(dir, 'gateway.yaml');
  writeFileSync(file, [...BENCH_GATEWAY_YAML, `store: { dataDir: ./data, engine: ${engine} }`, 'mappings: [mappings/*.yaml]', ''].join('\n'));
  const lines = Array.from({ length: tags }, (_, i) => `      - { name: ${names.tag(i)}, register: holding, address: ${i}, dataType: uint16 }`);
  const place = [`    site: ${names.site}`, `    area: ${names.area}`, `    asset: ${names.asset}`];
  const device = ['devices:', '  - name: dev', '    protocol: modbus', '    transport: { type: tcp, host: 127.0.0.1, port: 1 }', ...place, '    tags:', ...lines, ''];
  writeFileSync(path.join(dir, 'mappings', 'dev.yaml'), device.join('\n'));
  return file;
}

export async function startInProcessGateway(engine: 'sqlite' | 'memory', tags: number, names = SHORT_NAMES): Promise<InProcessGateway> {
  const dir = makeTempDir('uns-bench-in-process-');
  const gateway = await startGateway(loadConfig(writeConfig(dir, engine, tags, names)), createLogger('silent'));
  const { port1, port2 } = new MessageChannel();
  const encoder = new SampleEncoder();
  const decoder = new SampleDecoder((id) => gateway.publisher.knownTagId(id));
  port2.on('message', (batch: SampleBatch) => gateway.northbound.onSamples(decoder.decode(batch)));
  return {
    gateway,
    tagId: (index) => `dev/${names.tag(index)}`,
    send(samples) {
      const batch = encoder.encode(samples);
      port1.postMessage(batch, [batch.columns]);
    },
    async stop() {
      port1.close();
      await gateway.stop();
      removeTempDir(dir);
    },
  };
}
