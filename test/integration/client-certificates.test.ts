import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { IClientOptions } from 'mqtt';
import type { PeerCertificate } from 'node:tls';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { certificateNames } from '../../src/broker/client-certificate.ts';
import { hashPassword } from '../../src/broker/passwords.ts';
import { ConfigError, formatIssue } from '../../src/config/issues.ts';
import { loadConfig } from '../../src/config/load.ts';
import { certificateAuthority, type CertificateAndKey, type CertificateAuthority } from '../helpers/certificates.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { captureLog, type LogLine } from '../helpers/log-capture.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const pool = new ClientPool();
let gw: TestGateway | undefined;
let certDir: TempDir;
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
let server: CertificateAndKey;
let bank: RegisterBank;
let plc: RunningModbusServer;
let bobHash: string;

beforeAll(async () => {
  certDir = makeTempDir();
  ca = certificateAuthority(certDir.path, 'Plant CA');
  otherCa = certificateAuthority(certDir.path, 'Other CA');
  server = ca.issue('gateway', { server: true, san: ['IP:127.0.0.1', 'DNS:localhost'] });
  bank = new RegisterBank();
  plc = await serveModbusTcp(bank, '127.0.0.1', await freePort());
  bobHash = await hashPassword('bob-pw');
});

afterEach(async () => {
  await pool.endAll();
  await gw?.stop();
  gw = undefined;
});

afterAll(async () => {
  await plc.close();
  certDir.remove();
});

const MAPPING = () => `devices:
  - name: plc
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${plc.port} }
    site: site
    area: area
    asset: asset
    tags:
      - { name: level, register: holding, address: 0, dataType: uint16, writable: true, max: 100 }
`;

/** alice logs in by certificate only (no password) and may write; bob has a password and may not write. */
const USERS = () => `access:
  users:
    - { username: alice, write: true }
    - { username: bob, password: "${bobHash}" }
    - { username: plc-gw.plant.example, write: true }
`;

async function start(listener: string, options: { extra?: string } = {}): Promise<{ gw: TestGateway; lines: LogLine[] }> {
  const capture = captureLog('info');
  gw = await startTestGateway({
    log: capture.log,
    listeners: `\n    - protocol: ${listener}\n      host: 127.0.0.1\n      port: 0\n      cert: tls/server.pem\n      key: tls/server.key\n      ca: tls/ca.pem`,
    files: { 'tls/server.pem': server.cert, 'tls/server.key': server.key, 'tls/ca.pem': ca.cert },
    mappings: { 'plc.yaml': MAPPING() },
    extra: `${USERS()}${options.extra ?? ''}`,
  });
  return { gw, lines: capture.lines };
}

/** What a connection attempt comes to: 0 (connected), a CONNACK return code, or closed without any CONNACK. */
function attempt(url: string, options: IClientOptions): Promise<number | 'closed'> {
  const client = pool.open(url, { ca: ca.cert, ...options });
  return new Promise((resolve) => {
    client.once('connect', () => resolve(0));
    client.on('error', (error: Error & { code?: unknown }) => {
      if (typeof error.code === 'number') resolve(error.code);
    });
    client.once('close', () => resolve('closed'));
  });
}

/** Publishes a setpoint, once the PLC is connected, and returns its result payload, parsed. */
async function setLevel(url: string, options: IClientOptions, value: number): Promise<{ ok: boolean; error?: { code: string } }> {
  const client = await pool.connect(url, { ca: ca.cert, ...options });
  const inbox = new Inbox(client);
  await client.subscribeAsync(['_gateway/+/devices/plc/status', 'site/area/asset/level/set/result'], { qos: 1 });
  const deadline = Date.now() + 5000;
  while (!inbox.messages.some((m) => m.payload.includes('"state":"connected"')) && Date.now() < deadline) await sleep(20);
  await client.publishAsync('site/area/asset/level/set', JSON.stringify({ value }), { qos: 1 });
  while (!inbox.messages.some((m) => m.topic.endsWith('/set/result')) && Date.now() < deadline) await sleep(20);
  const result = inbox.messages.find((m) => m.topic.endsWith('/set/result'));
  return JSON.parse(result?.payload ?? '{}') as { ok: boolean; error?: { code: string } };
}

const byMessage = (lines: LogLine[], prefix: string) => lines.filter((line) => line.msg.startsWith(prefix));

describe('TLS client certificates name the user (certificateUsername: cn)', () => {
  const listener = 'tls\n      certificateUsername: cn';

  it('a certificate signed by the listener\'s ca, whose CN is a user, logs in as that user with no username or password: its setpoints are written under its name', async () => {
    const { gw, lines } = await start(listener);
    const url = `mqtts://127.0.0.1:${gw.port('tls')}`;
    const alice = ca.issue('alice');
    expect(await setLevel(url, { ...alice, clientId: 'hmi-1' }, 42)).toMatchObject({ ok: true });
    expect(bank.holding[0]).toBe(42);
    expect(await setLevel(url, { ...ca.issue('bob'), clientId: 'hmi-2' }, 43)).toMatchObject({ ok: false, error: { code: 'UNS_ERR_SET_FORBIDDEN' } });
    expect(bank.holding[0]).toBe(42);
    const audit = lines.filter((line) => line.msg === 'write done' || line.msg === 'write refused');
    expect(audit.map((line) => [line.clientId, line.username, line.code])).toEqual([
      ['hmi-1', 'alice', undefined],
      ['hmi-2', 'bob', 'UNS_ERR_SET_FORBIDDEN'],
    ]);
  });

  it('a CONNECT username must be the certificate\'s: alice\'s certificate with bob\'s name and password gets CONNACK 5, logged', async () => {
    const { gw, lines } = await start(listener);
    const url = `mqtts://127.0.0.1:${gw.port('tls')}`;
    const alice = ca.issue('alice');
    expect(await attempt(url, { ...alice, username: 'alice' })).toBe(0);
    expect(await attempt(url, { ...alice, username: 'bob', password: 'bob-pw' })).toBe(5);
    expect(byMessage(lines, 'certificate login refused')).toEqual([
      expect.objectContaining({ code: 'UNS_ERR_CERTIFICATE_USER', username: 'bob', names: ['alice'], certificate: expect.objectContaining({ subject: 'alice', issuer: 'Plant CA' }) }),
    ]);
  });

  it('a certificate whose CN names no configured user gets CONNACK 5, logged with the certificate', async () => {
    const { gw, lines } = await start(listener);
    expect(await attempt(`mqtts://127.0.0.1:${gw.port('tls')}`, ca.issue('carol'))).toBe(5);
    const [refused, ...more] = byMessage(lines, 'certificate login refused');
    expect(more).toEqual([]);
    expect(refused).toMatchObject({ code: 'UNS_ERR_CERTIFICATE_USER', names: ['carol'], certificate: { subject: 'carol', issuer: 'Plant CA' } });
    expect(refused?.msg).toContain('names no configured user');
  });

  it('a certificate from another CA, or none, is refused before MQTT: the connection closes with no CONNACK, counted and logged', async () => {
    const { gw, lines } = await start(listener);
    const url = `mqtts://127.0.0.1:${gw.port('tls')}`;
    expect(await attempt(url, otherCa.issue('alice'))).toBe('closed');
    expect(await attempt(url, {})).toBe('closed');
    expect(gw.gateway.broker.refusals()).toEqual({ UNS_ERR_CLIENT_CERTIFICATE: 2 });
    const [untrusted] = lines.filter((line) => line.code === 'UNS_ERR_CLIENT_CERTIFICATE');
    expect(untrusted).toMatchObject({ remote: '127.0.0.1', certificate: { subject: 'alice', issuer: 'Other CA' } });
    expect(untrusted?.msg).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(byMessage(lines, 'certificate login refused')).toEqual([]);
    expect(await attempt(url, ca.issue('alice'))).toBe(0);
  });

  it('with access.bindClientIds the certificate\'s user owns its client ids', async () => {
    const { gw } = await start(listener, { extra: '  bindClientIds: true\n' });
    const url = `mqtts://127.0.0.1:${gw.port('tls')}`;
    expect(await attempt(url, { ...ca.issue('alice'), clientId: 'alice-hmi' })).toBe(0);
    expect(await attempt(url, { ...ca.issue('alice'), clientId: 'bob-hmi' })).toBe(2);
  });
});

describe('certificates optional, users from subject alternative names (requireCertificate: false, certificateUsername: san)', () => {
  const keys = '\n      requireCertificate: false\n      certificateUsername: san';

  it('wss: a DNS name in the certificate names the user; without a certificate a client logs in with its password; a certificate from another CA is refused', async () => {
    const { gw, lines } = await start(`wss\n      path: /mqtt${keys}`);
    const url = `wss://127.0.0.1:${gw.port('wss')}/mqtt`;
    const device = ca.issue('edge box 7', { san: ['DNS:plc-gw.plant.example', 'email:ops@plant.example'] });
    expect(await setLevel(url, { ...device, clientId: 'edge-7' }, 17)).toMatchObject({ ok: true });
    expect(bank.holding[0]).toBe(17);
    expect(lines.find((line) => line.msg === 'write done')).toMatchObject({ clientId: 'edge-7', username: 'plc-gw.plant.example' });
    expect(await attempt(url, { username: 'bob', password: 'bob-pw' })).toBe(0);
    expect(await attempt(url, otherCa.issue('x', { san: ['DNS:plc-gw.plant.example'] }))).toBe('closed');
    expect(gw.gateway.broker.refusals()).toEqual({ UNS_ERR_CLIENT_CERTIFICATE: 1 });
  });

  it('a certificate naming two users needs a CONNECT username to choose one; a user without a password cannot log in with one (CONNACK 4, the log says why)', async () => {
    const { gw, lines } = await start(`tls${keys}`);
    const url = `mqtts://127.0.0.1:${gw.port('tls')}`;
    const both = ca.issue('shared', { san: ['DNS:plc-gw.plant.example', 'email:alice'] });
    expect(await attempt(url, both)).toBe(5);
    expect(byMessage(lines, 'certificate login refused')[0]?.msg).toContain('names several users (plc-gw.plant.example, alice)');
    expect(await attempt(url, { ...both, username: 'alice' })).toBe(0);
    expect(await attempt(url, { username: 'alice', password: 'anything' })).toBe(4);
    expect(byMessage(lines, 'bad username or password')).toEqual([
      expect.objectContaining({ username: 'alice', reason: 'the user has no password: it logs in with a client certificate only' }),
    ]);
  });
});

describe('client certificate settings in gateway.yaml', () => {
  let dir: TempDir | undefined;
  afterEach(() => dir?.remove());

  function errorsOf(yaml: string): string[] {
    dir = makeTempDir();
    dir.write('gateway.yaml', yaml);
    try {
      loadConfig(`${dir.path}/gateway.yaml`);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).issues.map(formatIssue).map((line) => line.replaceAll(`${dir?.path}/`, ''));
    }
    return [];
  }

  it('certificate keys need a ca, and a user without a password needs a listener that takes users from certificates', () => {
    const tls = (keys: string) => `    - protocol: tls\n      port: 0\n      cert: c.pem\n      key: k.pem\n${keys}`;
    expect(errorsOf(`broker:\n  listeners:\n${tls('      requireCertificate: true\n      certificateUsername: cn\n')}access:\n  users:\n    - username: alice\n`)).toEqual([
      'gateway.yaml:7:27 broker.listeners[0].requireCertificate: needs `ca`: the CA bundle that signs the client certificates',
      'gateway.yaml:8:28 broker.listeners[0].certificateUsername: needs `ca`: the CA bundle that signs the client certificates',
    ]);
    expect(errorsOf(`broker:\n  listeners:\n${tls('      requireCertificate: false\n')}access:\n  users:\n    - username: alice\n      write: true\n`)).toEqual([
      'gateway.yaml:10:7 access.users[0].password: user "alice" has no password, and no listener takes users from client certificates (broker.listeners[].certificateUsername): it could never log in',
    ]);
    expect(errorsOf(`broker:\n  listeners:\n${tls('      certificateUsername: email\n')}`)).toEqual([
      'gateway.yaml:7:28 broker.listeners[0].certificateUsername: expected one of cn, san',
    ]);
  });
});

describe('the names a certificate gives', () => {
  const certificate = (CN: string | string[], subjectaltname?: string) => ({ subject: { CN }, subjectaltname }) as unknown as PeerCertificate;

  it('cn: every subject common name; san: DNS, email and URI names, Node\'s quoted values unquoted, IP addresses left out', () => {
    expect(certificateNames(certificate('alice'), 'cn')).toEqual(['alice']);
    expect(certificateNames(certificate(['alice', 'a2']), 'cn')).toEqual(['alice', 'a2']);
    expect(certificateNames(certificate('x', 'DNS:a.example, IP Address:10.0.0.1, URI:"urn:plant:a,b", email:ops@plant.example'), 'san')).toEqual([
      'a.example',
      'urn:plant:a,b',
      'ops@plant.example',
    ]);
    expect(certificateNames(certificate('x'), 'san')).toEqual([]);
  });
});
