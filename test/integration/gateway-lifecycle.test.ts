import { rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../../src/errors.ts';
import { startGateway } from '../../src/gateway.ts';
import { createLogger } from '../../src/log.ts';
import { selfSignedCertificate } from '../helpers/certificates.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

const pool = new ClientPool();
let gw: TestGateway | undefined;
afterEach(async () => {
  await pool.endAll();
  await gw?.stop();
  gw = undefined;
});

const mapping = (port: number) => `devices:
  - name: plc-1
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    reconnect: { initialMs: 5000, maxMs: 5000 }
    site: plant
    area: line1
    asset: press
    tags:
      - name: speed
        register: holding
        address: 1
        dataType: int16
`;

describe('gateway status', () => {
  it('publishes _gateway/<id>/status online (retained) and offline when it stops', async () => {
    gw = await startTestGateway();
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('_gateway/test-gw/status', { qos: 1 });
    await inbox.waitFor(1);
    await gw.gateway.stop();
    await inbox.waitFor(2);
    expect(inbox.messages.map((m) => [m.topic, m.payload, m.retain])).toEqual([
      ['_gateway/test-gw/status', 'online', true],
      ['_gateway/test-gw/status', 'offline', false],
    ]);
  });

  it('reports a device it cannot reach, and refuses client publishes to tag value topics', async () => {
    gw = await startTestGateway({ mappings: { 'line1.yaml': mapping(await freePort()) } });
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('_gateway/test-gw/devices/+/status', { qos: 1 });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !inbox.messages.some((m) => m.payload.includes('"error"'))) await sleep(50);
    const status = inbox.messages.at(-1);
    expect(status?.topic).toBe('_gateway/test-gw/devices/plc-1/status');
    expect(JSON.parse(status?.payload ?? '')).toMatchObject({ state: 'error', error: { code: ErrorCodes.MODBUS_CONNECTION } });

    const rogue = await pool.connect(gw.url());
    const closed = new Promise<void>((resolve) => rogue.once('close', () => resolve()));
    rogue.publish('plant/line1/press/speed', '{"value":1}', { qos: 1 });
    await closed;
    expect(rogue.connected).toBe(false);
  });
});

describe('listeners', () => {
  let blocker: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve())));

  it('fails to start with UNS_ERR_PORT_IN_USE naming the port, and leaves nothing bound', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const attempt = startTestGateway({
      listeners: `\n    - protocol: ws\n      host: 127.0.0.1\n      port: 0\n    - protocol: tcp\n      host: 127.0.0.1\n      port: ${port}`,
    });
    await expect(attempt).rejects.toBeInstanceOf(GatewayError);
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCodes.PORT_IN_USE,
      message: `tcp listener 127.0.0.1:${port} (broker.listeners[1]): port ${port} is already in use; stop the other program (another MQTT broker?) or change the port`,
    });
  });

  it('reports a WebSocket port in use the same way, instead of crashing', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker?.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const attempt = startTestGateway({ listeners: `\n    - protocol: ws\n      host: 127.0.0.1\n      port: ${port}` });
    await expect(attempt).rejects.toMatchObject({ code: ErrorCodes.PORT_IN_USE, message: expect.stringContaining(`ws listener 127.0.0.1:${port}`) });
  });

  it('serves MQTT over TLS with the configured certificate', async () => {
    const certDir = makeTempDir();
    const { cert, key } = selfSignedCertificate(certDir.path);
    certDir.remove();
    gw = await startTestGateway({
      listeners: `\n    - protocol: tls\n      host: 127.0.0.1\n      port: 0\n      cert: tls/cert.pem\n      key: tls/key.pem`,
      files: { 'tls/cert.pem': cert, 'tls/key.pem': key },
    });
    const client = await pool.connect(`mqtts://127.0.0.1:${gw.port('tls')}`, { ca: cert, servername: 'localhost' });
    const inbox = new Inbox(client);
    await client.subscribeAsync('secure/#', { qos: 1 });
    await client.publishAsync('secure/hello', 'over tls', { qos: 1 });
    const [message] = await inbox.waitFor(1);
    expect(message).toMatchObject({ topic: 'secure/hello', payload: 'over tls' });
  });

  it('refuses a config naming missing TLS files when it loads, each at its key', async () => {
    const attempt = startTestGateway({
      listeners: `\n    - protocol: tls\n      port: 0\n      cert: nope.pem\n      key: nope.key`,
    });
    await expect(attempt).rejects.toMatchObject({
      code: ErrorCodes.CONFIG_INVALID,
      message: expect.stringMatching(/broker\.listeners\[0\]\.cert: TLS file "nope\.pem" not found.*\n.*broker\.listeners\[0\]\.key: TLS file "nope\.key" not found/),
    });
  });

  it('names a TLS file gone between load and listen with UNS_ERR_TLS_FILES', async () => {
    const dir = makeTempDir();
    try {
      dir.write('tls/cert.pem', 'cert');
      dir.write('tls/key.pem', 'key');
      const config = loadConfig(dir.write('gateway.yaml', 'broker:\n  listeners:\n    - protocol: tls\n      port: 0\n      cert: tls/cert.pem\n      key: tls/key.pem\nstore:\n  engine: memory\n'));
      rmSync(`${dir.path}/tls/key.pem`);
      await expect(startGateway(config, createLogger('silent'))).rejects.toMatchObject({
        code: ErrorCodes.TLS_FILES,
        message: expect.stringMatching(/^broker\.listeners\[0\]\.key: cannot read "tls\/key\.pem": ENOENT/),
      });
    } finally {
      dir.remove();
    }
  });
});
