import { afterEach, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { anonymousExposure, isLoopbackHost } from '../../src/broker/anonymous.ts';
import { hashPassword } from '../../src/broker/passwords.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { ClientPool } from '../helpers/mqtt.ts';

const pool = new ClientPool();
let gw: TestGateway | undefined;

afterEach(async () => {
  await pool.endAll();
  await gw?.stop();
  gw = undefined;
});

/** listeners[0] loopback, [1] all interfaces, [2] all interfaces with allowAnonymous: true. */
const LISTENERS = `
    - protocol: tcp
      host: 127.0.0.1
      port: 0
    - protocol: tcp
      host: 0.0.0.0
      port: 0
    - protocol: tcp
      host: 0.0.0.0
      port: 0
      allowAnonymous: true`;

/** The CONNACK return code a client gets (0 accepted), connecting through 127.0.0.1 to listener `index`. */
async function connackCode(index: number, options: { username?: string; password?: string } = {}): Promise<number> {
  const port = gw?.gateway.broker.listeners[index]?.port;
  try {
    await pool.connect(`mqtt://127.0.0.1:${port}`, options);
    return 0;
  } catch (error) {
    return (error as { code?: number }).code ?? -1;
  }
}

describe('anonymous clients: loopback listeners only, unless a listener says otherwise', () => {
  it('accepts them on a loopback listener, refuses them (CONNACK 5) on one bound to all interfaces, accepts them where allowAnonymous is set; a user gets in everywhere', async () => {
    const hash = await hashPassword('s3cret');
    const capture = captureLog('warn');
    gw = await startTestGateway({ listeners: LISTENERS, log: capture.log, extra: `access:\n  users:\n    - { username: scada, password: "${hash}" }\n` });
    expect(await connackCode(0)).toBe(0);
    expect(await connackCode(1)).toBe(5);
    expect(await connackCode(2)).toBe(0);
    expect(await connackCode(1, { username: 'scada', password: 's3cret' })).toBe(0);
    expect(capture.lines.filter((line) => line.msg.startsWith('anonymous connection refused')).map((line) => line.remote)).toEqual(['127.0.0.1']);
    expect(capture.withCode('UNS_ERR_ANONYMOUS_EXPOSED').map((line) => line.msg)).toEqual([
      'broker.listeners[2] (tcp 0.0.0.0:0) accepts anonymous clients from the network',
    ]);
  });

  it('access.allowAnonymous: false refuses them on loopback listeners too', async () => {
    gw = await startTestGateway({ listeners: LISTENERS, extra: 'access:\n  allowAnonymous: false\n' });
    expect([await connackCode(0), await connackCode(2)]).toEqual([5, 5]);
  });

  it('warns at start when anonymous clients on the network could write setpoints', async () => {
    const capture = captureLog('warn');
    gw = await startTestGateway({ listeners: LISTENERS, log: capture.log, extra: 'access:\n  anonymousWrite: true\n' });
    expect(capture.withCode('UNS_ERR_ANONYMOUS_EXPOSED').map((line) => line.msg)).toEqual([
      'broker.listeners[2] (tcp 0.0.0.0:0) accepts anonymous clients, and access.anonymousWrite lets them write setpoints to the PLCs',
    ]);
  });
});

describe('loopback addresses and the committed config', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['127.example.com', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('the committed default config exposes no anonymous listener to the network', () => {
    const config = loadConfig(resolve('config/gateway.yaml'));
    expect(config.gateway.broker.listeners.map((listener) => listener.host)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(anonymousExposure(config.gateway)).toEqual([]);
  });
});

describe('access.bindClientIds: no one takes over another user\'s session', () => {
  it('a user must use its own client ids; another user or an anonymous client using them gets CONNACK 2 and the session stays with its owner', async () => {
    const [alice, bob] = await Promise.all([hashPassword('alice-pw'), hashPassword('bob-pw')]);
    const capture = captureLog('warn');
    gw = await startTestGateway({
      log: capture.log,
      extra: `access:\n  bindClientIds: true\n  users:\n    - { username: alice, password: "${alice}" }\n    - { username: bob, password: "${bob}" }\n`,
    });
    const url = gw.url();
    const owner = await pool.connect(url, { clientId: 'alice-scada', clean: false, username: 'alice', password: 'alice-pw' });
    const refused = async (options: { clientId: string; username?: string; password?: string }) => {
      try {
        await pool.connect(url, { ...options, clean: false });
        return 0;
      } catch (error) {
        return (error as { code?: number }).code ?? -1;
      }
    };
    expect(await refused({ clientId: 'alice-scada', username: 'bob', password: 'bob-pw' })).toBe(2);
    expect(await refused({ clientId: 'alice-scada' })).toBe(2);
    expect(await refused({ clientId: 'bob', username: 'bob', password: 'bob-pw' })).toBe(0);
    expect(await refused({ clientId: 'alicex', username: 'alice', password: 'alice-pw' })).toBe(2);
    expect(owner.connected).toBe(true);
    expect(capture.withCode('UNS_ERR_CLIENT_ID_REJECTED')).toHaveLength(3);
  });
});
