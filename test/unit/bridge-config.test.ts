import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../src/config/issues.ts';
import { loadConfig } from '../../src/config/load.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

let dir: TempDir;
afterEach(() => dir.remove());

/** Lines 1-5; `config` puts its `before` text at line 6, then `bridges:` and the bridges. */
const HEAD = `id: gw
broker:
  listeners:
    - protocol: tcp
      port: 0
`;

const config = (bridges: string, before = '') => `${HEAD}${before}bridges:\n${bridges}`;

const bridge = (name: string, extra = '', url = 'mqtt://hq.example:1883') => `  - name: ${name}
    url: ${url}
${extra}`;

function load(files: Record<string, string>): ReturnType<typeof loadConfig> {
  dir = makeTempDir();
  for (const [name, text] of Object.entries(files)) dir.write(name, text);
  return loadConfig(`${dir.path}/gateway.yaml`);
}

/** Loads gateway.yaml (and the files beside it) and returns the formatted error lines, the temp path made relative. */
function errorsOf(gateway: string, files: Record<string, string> = {}): string[] {
  try {
    load({ 'gateway.yaml': gateway, ...files });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((issue) => formatIssue(issue).replaceAll(`${dir.path}/`, ''));
  }
  throw new Error('config loaded without error');
}

describe('bridges: bad settings are refused at load, at the offending key', () => {
  it('refuses the http: protocol', () => {
    expect(errorsOf(config(bridge('hq') + bridge('dc', '', 'http://hq.example/mqtt')))).toEqual([
      'gateway.yaml:10:10 bridges[1].url: protocol "http:" is not one of mqtt:, mqtts:, ws:, wss:',
    ]);
  });

  it('refuses a URL with no scheme at all, saying how to write one', () => {
    expect(errorsOf(config(bridge('hq', '', 'hq.example:1883')))).toEqual([
      'gateway.yaml:8:10 bridges[0].url: "hq.example:1883" is not a URL: write mqtt://host:1883, mqtts://host:8883, ws://host/mqtt or wss://host/mqtt',
    ]);
  });

  it('refuses credentials in the URL', () => {
    expect(errorsOf(config(bridge('hq', '', 'mqtt://plant:secret@hq.example:1883')))).toEqual([
      'gateway.yaml:8:10 bridges[0].url: credentials do not go in the URL: use username and password (a { env } or { file } reference)',
    ]);
  });

  it('refuses a CA file that is not there, naming where it looked', () => {
    const errors = errorsOf(config(bridge('hq', '    tls:\n      cert: tls/client.pem\n      key: tls/client.key\n      ca: tls/missing-ca.pem\n', 'mqtts://hq.example:8883')), {
      'tls/client.pem': 'pem',
      'tls/client.key': 'key',
    });
    expect(errors).toEqual(['gateway.yaml:12:11 bridges[0].tls.ca: TLS file "tls/missing-ca.pem" not found (looked for tls/missing-ca.pem)']);
  });

  it('refuses a password file that is not there', () => {
    expect(errorsOf(config(bridge('hq', '    username: plant\n    password: { file: secrets/none }\n')))).toEqual([
      'gateway.yaml:10:23 bridges[0].password.file: password file "secrets/none" not found (looked for secrets/none)',
    ]);
  });

  it('refuses a password written in clear, saying to use { env } or { file }', () => {
    expect(errorsOf(config(bridge('hq', '    username: plant\n    password: secret\n')))).toEqual([
      'gateway.yaml:10:15 bridges[0].password: a password is not written in the config: use { env: VARIABLE } or { file: path/to/file }',
    ]);
  });

  it('refuses two bridges with one name, pointing at the second', () => {
    const outbox = '    outbox: { maxSizeMB: 10 }\n';
    expect(errorsOf(config(bridge('hq', outbox) + bridge('dc', outbox) + bridge('hq', outbox)))).toEqual([
      'gateway.yaml:13:11 bridges[2].name: bridges[0] is already named "hq"',
    ]);
  });

  it('refuses a password without a username', () => {
    expect(errorsOf(config(bridge('hq', '    password: { env: HQ_PASSWORD }\n')))).toEqual([
      'gateway.yaml:9:15 bridges[0].password: a password needs a username (MQTT 3.1.1)',
    ]);
  });

  it('refuses tls settings on an mqtt:// or ws:// URL', () => {
    const tls = '    tls: { verifyServer: false }\n';
    expect(errorsOf(config(bridge('hq', tls) + bridge('dc', tls, 'ws://hq.example/mqtt')))).toEqual([
      'gateway.yaml:9:10 bridges[0].tls: tls settings need an mqtts:// or wss:// URL, not mqtt://',
      'gateway.yaml:12:10 bridges[1].tls: tls settings need an mqtts:// or wss:// URL, not ws://',
    ]);
  });

  it('refuses a downlink role that access.roles does not define', () => {
    const access = `access:
  roles:
    hq-setpoints:
      write: ['plant/+/+/speed']
`;
    const downlink = '    downlink:\n      enabled: true\n      roles: [hq-setpoints, hq-setpoint]\n';
    expect(errorsOf(config(bridge('hq', downlink), access))).toEqual([
      'gateway.yaml:15:29 bridges[0].downlink.roles[1]: no role "hq-setpoint" in access.roles',
    ]);
  });

  it('refuses bridges with the memory store, which keeps no outbox', () => {
    expect(errorsOf(config(bridge('hq'), 'store:\n  engine: memory\n'))).toEqual([
      'gateway.yaml:7:11 store.engine: a bridge keeps its outbox in the SQLite store: set store.engine: sqlite, or remove the bridges',
    ]);
  });

  it('refuses outboxes that add up to more than half the store', () => {
    const outbox = (mb: number) => `    outbox: { maxSizeMB: ${mb} }\n`;
    const errors = errorsOf(config(bridge('hq', outbox(30)) + bridge('dc', outbox(21)), 'store:\n  maxSizeMB: 100\n'));
    expect(errors).toEqual([
      'gateway.yaml:9:3 bridges: the bridges\' outbox.maxSizeMB add up to 51 MB, more than half of store.maxSizeMB (100): raise store.maxSizeMB or lower the outboxes',
    ]);
  });

  it('reports the errors of every bridge at once, in line order', () => {
    const errors = errorsOf(config(bridge('hq', '    username: plant\n    password: secret\n', 'http://hq.example') + bridge('dc', '    password: { env: X }\n')));
    expect(errors.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual([
      'gateway.yaml:8:10 bridges[0].url:',
      'gateway.yaml:10:15 bridges[0].password:',
      'gateway.yaml:13:15 bridges[1].password:',
    ]);
  });

  it('reports two bridges with one name beside the other errors of those bridges', () => {
    const errors = errorsOf(config(bridge('hq', '    password: secret\n') + bridge('hq')));
    expect(errors.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['gateway.yaml:9:15 bridges[0].password:', 'gateway.yaml:10:11 bridges[1].name:']);
  });
});

describe('bridges: a good config loads', () => {
  it('takes outboxes up to half the store, { env } and { file } passwords, and a CA beside the config', () => {
    const bridges =
      bridge('hq', '    username: plant\n    password: { env: HQ_PASSWORD }\n    tls: { ca: tls/ca.pem }\n    outbox: { maxSizeMB: 30 }\n', 'mqtts://hq.example:8883') +
      bridge('dc', '    username: plant\n    password: { file: secrets/dc }\n    outbox: { maxSizeMB: 20 }\n');
    const loaded = load({ 'gateway.yaml': config(bridges, 'store:\n  maxSizeMB: 100\n'), 'tls/ca.pem': 'pem', 'secrets/dc': 'pw\n' });
    expect(loaded.gateway.bridges.map((b) => [b.name, b.password, b.tls?.ca, b.outbox.maxSizeMB])).toEqual([
      ['hq', { env: 'HQ_PASSWORD' }, 'tls/ca.pem', 30],
      ['dc', { file: 'secrets/dc' }, undefined, 20],
    ]);
  });
});

describe('sparkplug.bridges: Sparkplug on a bridge upstream is checked against the bridges', () => {
  const sparkplug = (lines: string) => `sparkplug:\n  enabled: true\n${lines}`;

  it('refuses a bridge name that bridges does not define, and one listed twice', () => {
    const errors = errorsOf(config(bridge('hq'), sparkplug('  bridges: [hq, dc, hq]\n')));
    expect(errors).toEqual([
      'gateway.yaml:8:17 sparkplug.bridges[1]: no bridge named "dc" in bridges',
      'gateway.yaml:8:21 sparkplug.bridges[2]: bridge "hq" is listed twice',
    ]);
  });

  it('refuses a Sparkplug output that publishes nowhere', () => {
    expect(errorsOf(config(bridge('hq'), sparkplug('  embedded: false\n')))).toEqual([
      'gateway.yaml:8:13 sparkplug.embedded: sparkplug publishes nowhere: set embedded: true, or name bridges in sparkplug.bridges',
    ]);
  });

  it('counts the outbox of a bridge that carries Sparkplug twice against the store', () => {
    const errors = errorsOf(config(bridge('hq', '    outbox: { maxSizeMB: 30 }\n'), `store:\n  maxSizeMB: 100\n${sparkplug('  bridges: [hq]\n')}`));
    expect(errors).toEqual([
      "gateway.yaml:12:3 bridges: the bridges' outbox.maxSizeMB add up to 60 MB (twice for a bridge in sparkplug.bridges), more than half of store.maxSizeMB (100): raise store.maxSizeMB or lower the outboxes",
    ]);
  });
});

