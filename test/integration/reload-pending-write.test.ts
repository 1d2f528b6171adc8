import { ServerTCP } from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { principalOf } from '../../src/access/principal.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { sleep } from '../helpers/mqtt.ts';

const mapping = (port: number) => `devices:
  - name: plc
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    timeoutMs: 60000
    site: plant
    area: line1
    asset: press
    tags:
      - { name: setpoint, register: holding, address: 5, dataType: uint16, writable: true, min: 0, max: 3000 }
`;

let server: ServerTCP;
let gw: TestGateway;

beforeAll(async () => {
  const bank = new RegisterBank();
  const port = await freePort();
  // A PLC that takes a write and never answers it.
  server = new ServerTCP({ ...bank.vector(), setRegister: () => new Promise<void>(() => undefined) }, { host: '127.0.0.1', port });
  await new Promise((resolve) => server.once('initialized', resolve));
  gw = await startTestGateway({
    mappings: { 'plc.yaml': mapping(port) },
    extra: `reload:\n  debounceMs: 100\naccess:\n  roles:\n    bridge: { write: ['plant/line1/#'] }\n  users:\n    - { username: enterprise, password: "scrypt$1$1$1$AA==$AA==", roles: bridge }\n`,
  });
});
afterAll(async () => {
  await gw.stop();
  for (const socket of server.socks.keys()) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a write pending when a reload removes its device', () => {
  it('is answered as failed, with why, once the connector has stopped, not after the 10 s write timeout', async () => {
    const access = gw.gateway.config.gateway.access;
    const tag = gw.gateway.config.tags.find((candidate) => candidate.topic === 'plant/line1/press/setpoint');
    if (tag === undefined) throw new Error('the setpoint tag is not mapped');
    while (gw.gateway.northbound.latest(tag.id)?.quality !== 'good') await sleep(50);
    const started = performance.now();
    const answered = gw.gateway.writes
      .write(principalOf(access, 'enterprise', 'hmi'), tag, 1200, { topic: 'plant/line1/press/setpoint/set' })
      .then((result) => ({ result, afterMs: performance.now() - started }));
    // The write is at the PLC, unanswered; the reload removes the only Modbus device, and with it its connector.
    await sleep(300);
    gw.dir.write('plc.yaml', 'devices: []\n');
    const { result, afterMs } = await answered;
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'UNS_ERR_WRITE_FAILED', message: 'a reload removed the device before its connector answered; nothing confirms the device took the value' },
    });
    // The connector waits for the write it has in flight, so the host stops it after 5 s.
    expect(afterMs).toBeLessThan(9000);
  }, 20_000);
});
