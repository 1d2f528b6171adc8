import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { principalOf } from '../../src/access/principal.ts';
import { anonymousExposure } from '../../src/broker/anonymous.ts';
import { loadConfig } from '../../src/config/load.ts';
import { selfSignedCertificate } from '../helpers/certificates.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

let dir: TempDir | undefined;
afterEach(() => {
  dir?.remove();
  dir = undefined;
});

/** config/examples/hardened-gateway.yaml beside the committed mappings, with TLS files made for the test. */
function loadHardened() {
  dir = makeTempDir();
  dir.write('config/examples/hardened-gateway.yaml', readFileSync('config/examples/hardened-gateway.yaml', 'utf8'));
  for (const name of readdirSync('config/mappings')) dir.write(`config/mappings/${name}`, readFileSync(`config/mappings/${name}`, 'utf8'));
  const { cert, key } = selfSignedCertificate(dir.path);
  dir.write('config/examples/tls/server.pem', cert);
  dir.write('config/examples/tls/server.key', key);
  dir.write('config/examples/tls/clients-ca.pem', cert);
  return loadConfig(`${dir.path}/config/examples/hardened-gateway.yaml`);
}

describe('the hardened example config (config/examples/hardened-gateway.yaml)', () => {
  it('loads with the demo mappings, exposes no anonymous access, and its roles mean what their descriptions say', () => {
    const config = loadHardened();
    const access = config.gateway.access;
    expect(anonymousExposure(config.gateway)).toEqual([]);
    expect(Object.keys(access.roles)).toEqual(['viewer', 'scada', 'operator', 'bridge', 'admin']);
    const setpoint = 'demo-plant/pumping/pump-101/motor/speed-setpoint';
    expect(config.tags.some((tag) => tag.topic === setpoint && tag.config.writable)).toBe(true);
    const rights = (username: string, clientId = username) => {
      const principal = principalOf(access, username, clientId);
      return {
        writeSetpoint: principal.mayWrite(setpoint),
        publishIntoNamespace: principal.mayPublish('demo-plant/pumping/pump-101/fake'),
        readNamespace: principal.subscribe('demo-plant/#'),
        readSys: principal.subscribe('$SYS/#'),
      };
    };
    expect(rights('dashboards')).toEqual({ writeSetpoint: false, publishIntoNamespace: false, readNamespace: 'granted', readSys: 'denied' });
    expect(rights('historian')).toEqual({ writeSetpoint: false, publishIntoNamespace: false, readNamespace: 'granted', readSys: 'granted' });
    expect(rights('hmi-pumping')).toEqual({ writeSetpoint: true, publishIntoNamespace: false, readNamespace: 'granted', readSys: 'denied' });
    expect(rights('engineer')).toEqual({ writeSetpoint: true, publishIntoNamespace: true, readNamespace: 'granted', readSys: 'granted' });
    const bridge = principalOf(access, 'enterprise-bridge', 'enterprise-bridge-1');
    expect([bridge.mayPublish('bridge/enterprise-bridge-1/x'), bridge.mayPublish('bridge/other/x'), bridge.mayWrite(setpoint)]).toEqual([true, false, false]);
  });
});

describe('the bridged example config (config/examples/bridged-gateway.yaml)', () => {
  it('loads with the demo mappings: a TLS upstream with a password from the environment, and a downlink role', () => {
    dir = makeTempDir();
    dir.write('config/examples/bridged-gateway.yaml', readFileSync('config/examples/bridged-gateway.yaml', 'utf8'));
    for (const name of readdirSync('config/mappings')) dir.write(`config/mappings/${name}`, readFileSync(`config/mappings/${name}`, 'utf8'));
    dir.write('config/examples/tls/enterprise-ca.pem', selfSignedCertificate(dir.path).cert);
    const [bridge] = loadConfig(`${dir.path}/config/examples/bridged-gateway.yaml`).gateway.bridges;
    expect(bridge).toMatchObject({
      name: 'enterprise',
      password: { env: 'UNS_BRIDGE_PASSWORD' },
      prefix: 'acme/plant-a/',
      tls: { ca: 'tls/enterprise-ca.pem', verifyServer: true },
      downlink: { enabled: true, roles: ['hq-setpoints'] },
    });
  });
});
