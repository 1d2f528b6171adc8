import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { protocolOf, protocols } from '../../connectors/registry.ts';
import { deviceSchema, type DeviceConfig } from '../../schemas/mapping.ts';

const device = (config: Record<string, unknown>) => deviceSchema.parse({ name: 'd', site: 's', area: 'a', asset: 'x', tags: [], ...config });
const placementOf = (config: DeviceConfig) => protocolOf(config.protocol).placement?.(config);

describe('protocol registry', () => {
  it('has a descriptor for each protocol of the mapping schema, under its own name', () => {
    const schemaNames = deviceSchema.options.map((option) => option.shape.protocol.value);
    expect(protocols.map((protocol) => protocol.name)).toEqual(schemaNames);
    for (const name of schemaNames) expect(protocolOf(name).name).toBe(name);
  });

  it('runs each serial line in a child process of its own; other devices share their protocol thread', () => {
    const rtu = (path: string) => device({ protocol: 'modbus', transport: { type: 'rtu', path } });
    expect(placementOf(rtu('/dev/ttyUSB0'))).toEqual({ key: 'rtu:/dev/ttyUSB0', isolation: 'process' });
    expect(placementOf(rtu('/dev/ttyUSB1'))).toEqual({ key: 'rtu:/dev/ttyUSB1', isolation: 'process' });
    expect(placementOf(device({ protocol: 'modbus', transport: { type: 'tcp', host: 'plc' } }))).toBeUndefined();
    expect(placementOf(device({ protocol: 'modbus', transport: { type: 'rtu-over-tcp', host: 'gw' } }))).toBeUndefined();
    expect(placementOf(device({ protocol: 'opcua', endpoint: 'opc.tcp://plc:4840' }))).toBeUndefined();
  });

  it('makes OPC UA PKI folders and identity files absolute, and leaves Modbus devices as they are', () => {
    const resolve = (path: string) => `/data/${path}`;
    const opcua = device({ protocol: 'opcua', endpoint: 'opc.tcp://plc:4840', identity: { type: 'certificate', certificate: 'id/cert.pem', privateKey: 'id/key.pem' } });
    expect(protocolOf('opcua').withDataPaths?.(opcua, resolve)).toMatchObject({
      pkiDir: '/data/pki/opcua',
      identity: { type: 'certificate', certificate: '/data/id/cert.pem', privateKey: '/data/id/key.pem' },
    });
    expect(protocolOf('modbus').withDataPaths).toBeUndefined();
  });

  it('loads no protocol library and no zod with the registry, which every connector worker loads', () => {
    // Records every module the built registry resolves; zod alone would add about 3.6 MB to each worker's heap.
    const hook = `export async function resolve(s, c, next) { const r = await next(s, c); console.log(r.url); return r; }`;
    const script = `import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      await import(${JSON.stringify(new URL('../../dist/connectors/registry.js', import.meta.url).href)});`;
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim().split('\n');
    expect(loaded).toContain(new URL('../../dist/connectors/opcua/protocol.js', import.meta.url).href);
    expect(loaded.filter((url) => url.includes('/node_modules/'))).toEqual([]);
  });
});
