import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/config/issues.ts';
import { loadConfig } from '../../src/config/load.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

let dir: TempDir;
afterEach(() => dir.remove());

const GATEWAY = `id: gw
broker:
  listeners:
    - protocol: tcp
      port: 0
mappings:
  - mappings/*.yaml
`;

const device = (tags: string) => `devices:
  - name: plc-1
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1 }
    site: plant
    area: line1
    asset: press
    tags:
${tags}`;

const tag = (name: string, extra = '') => `      - name: ${name}
        register: holding
        address: 1
        dataType: int16
${extra}`;

/** Loads a config folder and returns the formatted error lines, with the temp path made relative. */
function errorsOf(files: Record<string, string>): string[] {
  dir = makeTempDir();
  for (const [name, text] of Object.entries(files)) dir.write(name, text);
  try {
    loadConfig(`${dir.path}/gateway.yaml`);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => formatIssue(issue).replaceAll(`${dir.path}/`, ''));
  }
  throw new Error('config loaded without error');
}

describe('config errors name file:line:col and the key path', () => {
  it('reports a YAML syntax error', () => {
    expect(errorsOf({ 'gateway.yaml': 'id: gw\nbroker:\n  listeners: [\n' })).toEqual([
      expect.stringMatching(/^gateway\.yaml:4:1 YAML syntax error: /),
    ]);
  });

  it('reports a YAML syntax error in a mapping file', () => {
    const errors = errorsOf({ 'gateway.yaml': GATEWAY, 'mappings/a.yaml': 'devices:\n  - name: x\n   bad: [1\n' });
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error).toMatch(/^mappings\/a\.yaml:[34]:\d+ YAML syntax error: /);
  });

  it('reports a key written twice in one mapping', () => {
    expect(errorsOf({ 'gateway.yaml': 'id: gw\nid: other\n' })).toEqual([expect.stringMatching(/^gateway\.yaml:2:1 YAML syntax error: Map keys must be unique/)]);
  });

  it('reads a date-like value as text (YAML 1.2 core schema), so a string field takes it', () => {
    dir = makeTempDir();
    dir.write('gateway.yaml', GATEWAY);
    dir.write('mappings/a.yaml', device(tag('speed', '        description: 2026-01-01\n')));
    expect(loadConfig(`${dir.path}/gateway.yaml`).tags[0]?.config.description).toBe('2026-01-01');
  });

  it('points at an undefined role, a bad rule pattern, and write: true beside roles', () => {
    const access = `access:
  roles:
    viewer:
      subscribe: ['plant/#', 'a/#/b']
      publish: { allow: ['x/%q'] }
  users:
    - username: ops
      password: "scrypt$16384$8$1$AAAA$AAAA"
      roles: [viewer, operatr]
      write: true
`;
    expect(errorsOf({ 'gateway.yaml': GATEWAY + access, 'mappings/a.yaml': device(tag('speed')) })).toEqual([
      'gateway.yaml:11:30 access.roles.viewer.subscribe[1]: "#" must be the last level, alone [MQTT-4.7.1-2]',
      'gateway.yaml:12:26 access.roles.viewer.publish.allow[0]: only %u (username) and %c (client id) may follow "%"',
      'gateway.yaml:16:23 access.users[0].roles[1]: no role "operatr" in access.roles',
      'gateway.yaml:17:14 access.users[0].write: a user with roles writes what its roles allow: put the tags in a role\'s write list',
    ]);
  });

  it('points an unknown key at the key itself (.strict())', () => {
    expect(errorsOf({ 'gateway.yaml': GATEWAY, 'mappings/a.yaml': device(tag('speed', '        scael: 2\n')) })).toEqual([
      'mappings/a.yaml:13:9 devices[0].tags[0].scael: unknown key',
    ]);
  });

  it('reports wrong types and enum values with what was expected', () => {
    const text = device(`      - name: speed
        register: holding
        address: "12"
        dataType: float33
`);
    expect(errorsOf({ 'gateway.yaml': GATEWAY, 'mappings/a.yaml': text })).toEqual([
      'mappings/a.yaml:11:18 devices[0].tags[0].address: Invalid input: expected number, received string',
      'mappings/a.yaml:12:19 devices[0].tags[0].dataType: expected one of bool, bit, int16, uint16, int32, uint32, int64, uint64, float32, float64, string',
    ]);
  });

  it.each([
    ['a+b', 'topic level "a+b" holds the wildcard "+"'],
    ['"a#"', 'topic level "a#" holds the wildcard "#"'],
    ['"$sys"', 'topic level "$sys" starts with "$"'],
    ['"a//b"', 'empty topic level'],
    ['""', 'empty topic level'],
    ['set', 'level "set" is reserved for write commands'],
    ['_hidden', 'level "_hidden" starts with "_", which is reserved for the gateway'],
  ])('refuses the tag name %s', (name, message) => {
    expect(errorsOf({ 'gateway.yaml': GATEWAY, 'mappings/a.yaml': device(tag(name)) })).toEqual([
      `mappings/a.yaml:9:15 devices[0].tags[0].name: ${message}`,
    ]);
  });

  it('refuses "/" inside a single-level field such as asset', () => {
    const text = device(tag('speed')).replace('asset: press', 'asset: press/2');
    expect(errorsOf({ 'gateway.yaml': GATEWAY, 'mappings/a.yaml': text })).toEqual([
      'mappings/a.yaml:7:12 devices[0].asset: topic level "press/2" holds "/"',
    ]);
  });

  it('refuses two tags mapped to one topic, across files, naming both places', () => {
    const second = device(tag('speed')).replace('plc-1', 'plc-2');
    expect(errorsOf({ 'gateway.yaml': GATEWAY, 'mappings/a.yaml': device(tag('speed')), 'mappings/b.yaml': second })).toEqual([
      'mappings/b.yaml:9:15 devices[0].tags[0].name: topic "plant/line1/press/speed" is already mapped by mappings/a.yaml:9:9 devices[0].tags[0]',
    ]);
  });

  it('refuses a tag with no site, area or asset from itself or its device', () => {
    const text = device(tag('speed')).replace('    area: line1\n', '');
    expect(errorsOf({ 'gateway.yaml': GATEWAY, 'mappings/a.yaml': text })).toEqual([
      'mappings/a.yaml:8:9 devices[0].tags[0]: tag "speed" has no area: set it on the tag or on device "plc-1"',
    ]);
  });

  it('reports a missing included mapping file at its line in gateway.yaml', () => {
    const gateway = GATEWAY.replace('  - mappings/*.yaml', '  - mappings/line1.yaml\n  - mappings/none-*.yaml');
    expect(errorsOf({ 'gateway.yaml': gateway })).toEqual([
      expect.stringMatching(/^gateway\.yaml:7:5 mappings\[0\]: mapping file "mappings\/line1\.yaml" not found/),
      expect.stringMatching(/^gateway\.yaml:8:5 mappings\[1\]: mapping pattern "mappings\/none-\*\.yaml" matches no file/),
    ]);
  });

  it('reports every error at once, from the gateway file and each mapping file', () => {
    const gateway = GATEWAY.replace('id: gw', 'id: gw\nlog:\n  level: loud');
    const errors = errorsOf({
      'gateway.yaml': gateway,
      'mappings/a.yaml': device(tag('a+b')),
      'mappings/b.yaml': device(tag('speed', '        colour: red\n')).replace('plc-1', 'plc-2'),
    });
    expect(errors).toEqual([
      'gateway.yaml:3:10 log.level: expected one of silent, fatal, error, warn, info, debug, trace',
      'mappings/a.yaml:9:15 devices[0].tags[0].name: topic level "a+b" holds the wildcard "+"',
      'mappings/b.yaml:13:9 devices[0].tags[0].colour: unknown key',
    ]);
  });

  it('refuses two listeners on one port and a device name used twice', () => {
    const gateway = `${GATEWAY}`.replace('      port: 0', '      port: 18830\n    - protocol: ws\n      port: 18830');
    const errors = errorsOf({
      'gateway.yaml': gateway,
      'mappings/a.yaml': device(tag('a')),
      'mappings/b.yaml': device(tag('b')),
    });
    expect(errors).toEqual([
      'gateway.yaml:7:13 broker.listeners[1].port: listeners[0] already binds 0.0.0.0:18830',
      'mappings/b.yaml:2:11 devices[0].name: device "plc-1" is already defined in mappings/a.yaml',
    ]);
  });
});

describe('a valid config', () => {
  it('loads frozen, with defaults applied and topics placed', () => {
    dir = makeTempDir();
    dir.write('gateway.yaml', GATEWAY.replace('id: gw', 'id: gw\nnamespace:\n  root: acme/uns'));
    dir.write('mappings/a.yaml', device(tag('motor/speed', '        asset: press-2\n        qos: 0\n')));
    const config = loadConfig(`${dir.path}/gateway.yaml`);
    expect(config.tags.map((t) => [t.id, t.topic, t.qos])).toEqual([['plc-1/motor/speed', 'acme/uns/plant/line1/press-2/motor/speed', 0]]);
    expect(config.gateway.broker.listeners[0]).toEqual({ protocol: 'tcp', host: '0.0.0.0', port: 0 });
    expect(config.dataDir).toBe(`${dir.path}/data`);
    expect(Object.isFrozen(config.gateway.broker.listeners)).toBe(true);
  });
});
