/**
 * The default config of `npm start` (config/gateway.yaml with its demo-plant mappings) copied into a temp
 * dir, changed only where this machine needs it: listeners on port 0, the simulator on free ports (and the
 * mappings pointed at them), the data in the temp dir. Other helpers may be running the demo on 1883.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { freePort } from '../../test/helpers/free-port.ts';

function load(file: string): Document {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
  return doc;
}

function numberAt(doc: Document, keys: readonly string[], file: string): number {
  const value = doc.getIn(keys);
  if (typeof value !== 'number') throw new Error(`${file}: no ${keys.join('.')}`);
  return value;
}

/** Points the demo mapping's devices at the simulator's new ports; throws unless each device was moved. */
function moveDevices(doc: Document, file: string, from: { modbus: number; opcua: number }, to: { modbus: number; opcua: number }): void {
  const devices = doc.get('devices');
  if (!isSeq(devices)) throw new Error(`${file}: no devices`);
  devices.items.forEach((item, i) => {
    if (!isMap(item)) throw new Error(`${file}: devices[${i}] is not a map`);
    if (doc.getIn(['devices', i, 'transport', 'port']) === from.modbus) {
      doc.setIn(['devices', i, 'transport', 'port'], to.modbus);
      return;
    }
    const endpoint = doc.getIn(['devices', i, 'endpoint']);
    const url = typeof endpoint === 'string' ? new URL(endpoint) : undefined;
    if (url === undefined || Number(url.port) !== from.opcua) throw new Error(`${file}: devices[${i}] is not on the simulator's ports`);
    url.port = String(to.opcua);
    doc.setIn(['devices', i, 'endpoint'], url.href);
  });
}

export interface DemoConfig {
  configFile: string;
  /** `site/area/asset/` of each demo device: its tags' topics start with it. */
  assets: string[];
}

/** `site/area/asset/` of every device in a mapping file. */
function assetPrefixes(doc: Document): string[] {
  const devices = doc.get('devices');
  return isSeq(devices) ? devices.items.map((_, i) => ['site', 'area', 'asset'].map((key) => `${String(doc.getIn(['devices', i, key]))}/`).join('')) : [];
}

/** Writes `<dir>/gateway.yaml` and `<dir>/mappings/*.yaml`. */
export async function writeDemoConfig(repoRoot: string, dir: string): Promise<DemoConfig> {
  const source = path.join(repoRoot, 'config');
  const gatewayFile = path.join(source, 'gateway.yaml');
  const gateway = load(gatewayFile);
  const listeners = gateway.getIn(['broker', 'listeners']);
  if (!isSeq(listeners)) throw new Error(`${gatewayFile}: no broker.listeners`);
  listeners.items.forEach((_, i) => gateway.setIn(['broker', 'listeners', i, 'port'], 0));
  gateway.setIn(['store', 'dataDir'], './data');
  const from = { modbus: numberAt(gateway, ['simulator', 'modbusPort'], gatewayFile), opcua: numberAt(gateway, ['simulator', 'opcuaPort'], gatewayFile) };
  const to = { modbus: await freePort(), opcua: await freePort() };
  gateway.setIn(['simulator', 'modbusPort'], to.modbus);
  gateway.setIn(['simulator', 'opcuaPort'], to.opcua);

  mkdirSync(path.join(dir, 'mappings'), { recursive: true });
  const assets: string[] = [];
  for (const name of readdirSync(path.join(source, 'mappings')).filter((n) => n.endsWith('.yaml'))) {
    const file = path.join(source, 'mappings', name);
    const mapping = load(file);
    moveDevices(mapping, file, from, to);
    assets.push(...assetPrefixes(mapping));
    writeFileSync(path.join(dir, 'mappings', name), mapping.toString());
  }
  const configFile = path.join(dir, 'gateway.yaml');
  writeFileSync(configFile, gateway.toString());
  return { configFile, assets };
}
