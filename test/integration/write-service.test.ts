import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { principalOf } from '../../src/access/principal.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { sleep } from '../helpers/mqtt.ts';

const mapping = (port: number) => `devices:
  - name: plc
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    site: plant
    area: line1
    asset: press
    tags:
      - { name: setpoint, register: holding, address: 5, dataType: uint16, writable: true, min: 0, max: 3000 }
`;

const capture = captureLog('info');
let bank: RegisterBank;
let plc: RunningModbusServer;
let gw: TestGateway;

beforeAll(async () => {
  bank = new RegisterBank();
  const port = await freePort();
  plc = await serveModbusTcp(bank, '127.0.0.1', port);
  gw = await startTestGateway({
    log: capture.log,
    mappings: { 'plc.yaml': mapping(port) },
    extra: `access:\n  roles:\n    bridge: { write: ['plant/line1/#'] }\n    viewer: { subscribe: ['#'] }\n  users:\n    - { username: enterprise, password: "scrypt$1$1$1$AA==$AA==", roles: bridge }\n    - { username: dashboards, password: "scrypt$1$1$1$AA==$AA==", roles: viewer }\n`,
  });
});
afterAll(async () => {
  await gw.stop();
  await plc.close();
});

describe('the write service: a write that does not come through MQTT says who is writing', () => {
  it('writes for a principal allowed to, refuses one that is not, and logs both with who and where from', async () => {
    const access = gw.gateway.config.gateway.access;
    const tag = gw.gateway.config.tags.find((candidate) => candidate.topic === 'plant/line1/press/setpoint');
    expect(tag).toBeDefined();
    if (tag === undefined) return;
    // The device is connected once its first reading is in: the fan-out keeps the latest sample of every tag.
    while (gw.gateway.northbound.latest(tag.id)?.quality !== 'good') await sleep(50);
    const done = await gw.gateway.writes.write(principalOf(access, 'enterprise', 'bridge-downlink'), tag, 1200, { topic: 'enterprise/cmd/setpoint', id: 'c-1' });
    expect(done).toMatchObject({ ok: true, value: 1200 });
    expect(bank.holding[5]).toBe(1200);
    const refused = await gw.gateway.writes.write(principalOf(access, 'dashboards', 'dash'), tag, 5, { topic: 'enterprise/cmd/setpoint' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNS_ERR_SET_FORBIDDEN' } });
    expect(bank.holding[5]).toBe(1200);
    const audit = capture.lines.filter((line) => line.msg === 'write done' || line.msg === 'write refused');
    expect(audit.map((line) => [line.msg, line.username, line.roles, line.clientId, line.topic, line.code])).toEqual([
      ['write done', 'enterprise', 'bridge', 'bridge-downlink', 'enterprise/cmd/setpoint', undefined],
      ['write refused', 'dashboards', 'viewer', 'dash', 'enterprise/cmd/setpoint', 'UNS_ERR_SET_FORBIDDEN'],
    ]);
  });
});
