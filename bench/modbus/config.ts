/** Gateway config and mapping files for the Modbus benchmark, written into a temp dir. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_GATEWAY_YAML } from '../shared/gateway-process.ts';

export interface BenchLayout {
  devices: number;
  /** Holding registers 0 … registers-1 per device, one uint16 tag each. */
  registers: number;
  /** One of those registers is mapped writable (min 0, max 65535) and named `sp`. */
  writableAddress: number;
  intervalMs: number;
  timeoutMs: number;
}

export const SITE = 'bench';
const ASSET = 'plc';
export const WRITABLE_TAG = 'sp';

export function deviceName(index: number): string {
  return `dev-${String(index + 1).padStart(2, '0')}`;
}

export function tagName(layout: BenchLayout, address: number): string {
  return address === layout.writableAddress ? WRITABLE_TAG : `r${address}`;
}

/** `bench/dev-03/plc/r17`: site / area (= device) / asset / tag. */
export function tagTopic(layout: BenchLayout, device: number, address: number): string {
  return `${SITE}/${deviceName(device)}/${ASSET}/${tagName(layout, address)}`;
}

export function writableTopic(layout: BenchLayout, device: number): string {
  return tagTopic(layout, device, layout.writableAddress);
}

/** Tags across all devices. */
export function totalTags(layout: BenchLayout): number {
  return layout.devices * layout.registers + (layout.writableAddress >= layout.registers ? layout.devices : 0);
}

function gatewayYaml(extra: readonly string[]): string {
  return [
    ...BENCH_GATEWAY_YAML,
    ...extra,
    'store:',
    '  dataDir: ./data',
    'access:',
    '  anonymousWrite: true',
    'mappings:',
    '  - mappings/*.yaml',
    '',
  ].join('\n');
}

function mappingYaml(layout: BenchLayout, device: number, port: number): string {
  const name = deviceName(device);
  const lines = [
    'devices:',
    `  - name: ${name}`,
    '    protocol: modbus',
    `    transport: { type: tcp, host: 127.0.0.1, port: ${port} }`,
    '    unitId: 1',
    `    timeoutMs: ${layout.timeoutMs}`,
    `    pollGroups: { default: { intervalMs: ${layout.intervalMs} } }`,
    `    site: ${SITE}`,
    `    area: ${name}`,
    `    asset: ${ASSET}`,
    '    tags:',
  ];
  const addresses = [...Array(layout.registers).keys()];
  if (layout.writableAddress >= layout.registers) addresses.push(layout.writableAddress);
  for (const address of addresses) {
    const writable = address === layout.writableAddress ? ', writable: true, min: 0, max: 65535' : '';
    lines.push(`      - { name: ${tagName(layout, address)}, register: holding, address: ${address}, dataType: uint16${writable} }`);
  }
  lines.push('');
  return lines.join('\n');
}

/**
 * Writes `<dir>/gateway.yaml` and `<dir>/mappings/dev-NN.yaml`; returns the gateway config path. `extra`:
 * top-level YAML lines added to gateway.yaml (bench:sparkplug turns `sparkplug:` on with them).
 */
export function writeGatewayConfig(dir: string, layout: BenchLayout, ports: readonly number[], extra: readonly string[] = []): string {
  const mappings = path.join(dir, 'mappings');
  mkdirSync(mappings, { recursive: true });
  ports.forEach((port, device) => writeFileSync(path.join(mappings, `${deviceName(device)}.yaml`), mappingYaml(layout, device, port)));
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(configFile, gatewayYaml(extra));
  return configFile;
}
