import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/config/issues.ts';
import { loadConfig } from '../../src/config/load.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

let dir: TempDir | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

const device = (name: string) => `devices:
  - name: ${name}
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1 }
    site: plant
    area: ${name}
    asset: press
    tags:
      - { name: speed, register: holding, address: 1, dataType: int16 }
`;

function folder(files: Record<string, string>): string {
  dir = makeTempDir();
  for (const [name, text] of Object.entries(files)) dir.write(name, text);
  return `${dir.path}/gateway.yaml`;
}

function errorsOf(files: Record<string, string>): string[] {
  const path = folder(files);
  try {
    loadConfig(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => formatIssue(issue).replaceAll(`${dir?.path}/`, ''));
  }
  throw new Error('config loaded without error');
}

describe('mapping files: .yml is YAML too', () => {
  it('a "*.yaml" pattern loads .yml files as well, in name order', () => {
    const config = loadConfig(
      folder({
        'gateway.yaml': 'mappings:\n  - mappings/*.yaml\n',
        'mappings/a.yaml': device('line-a'),
        'mappings/b.yml': device('line-b'),
        'mappings/c.txt': device('line-c'),
      }),
    );
    expect(config.mappingFiles.map((file) => file.replace(`${dir?.path}/`, ''))).toEqual(['mappings/a.yaml', 'mappings/b.yml']);
    expect(config.devices.map((d) => d.config.name)).toEqual(['line-a', 'line-b']);
  });

  it('a "*.yml" pattern loads .yaml files as well', () => {
    const config = loadConfig(folder({ 'gateway.yaml': 'mappings:\n  - mappings/*.yml\n', 'mappings/a.yaml': device('line-a') }));
    expect(config.devices.map((d) => d.config.name)).toEqual(['line-a']);
  });

  it('a pattern that matches nothing is still an error', () => {
    expect(errorsOf({ 'gateway.yaml': 'mappings:\n  - mappings/*.yaml\n', 'mappings/a.json': '{}' })).toEqual([
      'gateway.yaml:2:5 mappings[0]: mapping pattern "mappings/*.yaml" matches no file (looked in mappings)',
    ]);
  });
});

describe('TLS files are checked when the config loads', () => {
  const tlsGateway = `broker:
  listeners:
    - protocol: tcp
      port: 0
    - protocol: tls
      port: 0
      cert: certs/server.pem
      key: certs/missing-key.pem
    - protocol: wss
      port: 0
      cert: certs/server.pem
      key: certs/server-key.pem
      ca: certs
`;

  it('names each missing or unreadable file at its key, with file:line:col', () => {
    expect(errorsOf({ 'gateway.yaml': tlsGateway, 'certs/server.pem': 'cert', 'certs/server-key.pem': 'key' })).toEqual([
      'gateway.yaml:8:12 broker.listeners[1].key: TLS file "certs/missing-key.pem" not found (looked for certs/missing-key.pem)',
      'gateway.yaml:13:11 broker.listeners[2].ca: TLS file "certs" is a folder, not a PEM file',
    ]);
  });

  it('loads when every TLS file is there', () => {
    const config = loadConfig(
      folder({ 'gateway.yaml': tlsGateway.replace('missing-key', 'server-key').replace('ca: certs', 'ca: certs/ca.pem'), 'certs/server.pem': 'c', 'certs/server-key.pem': 'k', 'certs/ca.pem': 'a' }),
    );
    expect(config.gateway.broker.listeners.map((l) => l.protocol)).toEqual(['tcp', 'tls', 'wss']);
  });
});
