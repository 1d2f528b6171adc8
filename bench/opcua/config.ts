/** Gateway config and mapping file for the OPC UA benchmark, written into a temp dir. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_GATEWAY_YAML } from '../shared/gateway-process.ts';

export interface OpcuaBenchLayout {
  items: number;
  endpoint: string;
  publishingIntervalMs: number;
  samplingIntervalMs: number;
  maxItemsPerCall: number;
}

export const TOPIC_PREFIX = 'bench/ua/server/';
export const SUBSCRIPTION = 'bench/ua/#';

/** `bench/ua/server/v17`: site / area / asset / tag. */
export function itemTopic(index: number): string {
  return `${TOPIC_PREFIX}v${index}`;
}

/** The item index of a value topic, or -1 for any other topic. */
export function itemIndex(topic: string): number {
  if (!topic.startsWith(TOPIC_PREFIX) || topic.charCodeAt(TOPIC_PREFIX.length) !== 0x76 /* v */) return -1;
  const rest = topic.slice(TOPIC_PREFIX.length + 1);
  if (rest.length === 0 || rest.length > 7) return -1;
  const n = Number(rest);
  return Number.isInteger(n) && n >= 0 ? n : -1;
}

function gatewayYaml(): string {
  return [
    ...BENCH_GATEWAY_YAML, // its HTTP listener on an OS-chosen port too: other gateways may run on this host
    'store: { dataDir: ./data }',
    'mappings: [ mappings/opcua.yaml ]',
    '',
  ].join('\n');
}

function mappingYaml(layout: OpcuaBenchLayout): string {
  const lines = [
    'devices:',
    '  - name: ua-bench',
    '    protocol: opcua',
    `    endpoint: ${layout.endpoint}`,
    `    publishingIntervalMs: ${layout.publishingIntervalMs}`,
    `    samplingIntervalMs: ${layout.samplingIntervalMs}`,
    `    maxItemsPerCall: ${layout.maxItemsPerCall}`,
    '    site: bench',
    '    area: ua',
    '    asset: server',
    '    tags:',
  ];
  for (let i = 0; i < layout.items; i++) lines.push(`      - { name: v${i}, nodeId: "ns=1;s=Bench.v${i}" }`);
  lines.push('');
  return lines.join('\n');
}

/** Writes `<dir>/gateway.yaml` and `<dir>/mappings/opcua.yaml`; returns the gateway config path. */
export function writeOpcuaGatewayConfig(dir: string, layout: OpcuaBenchLayout): string {
  const mappings = path.join(dir, 'mappings');
  mkdirSync(mappings, { recursive: true });
  writeFileSync(path.join(mappings, 'opcua.yaml'), mappingYaml(layout));
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(configFile, gatewayYaml());
  return configFile;
}
