import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/free-port.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { ClientPool, Inbox } from '../helpers/mqtt.ts';

const pool = new ClientPool();
let gw: TestGateway | undefined;

afterEach(async () => {
  await pool.endAll();
  await gw?.stop();
  gw = undefined;
});

/** A PLC nobody serves: its tag is in the namespace, every write to it fails. */
const mapping = (port: number) => `devices:
  - name: plc
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    timeoutMs: 200
    site: site
    area: area
    asset: asset
    tags:
      - { name: level, register: holding, address: 0, dataType: uint16, writable: true, max: 100 }
`;

describe('audit of setpoint attempts', () => {
  it('logs every attempt with the client id, the user, the remote address, the tag and the outcome', async () => {
    const capture = captureLog('info');
    gw = await startTestGateway({ log: capture.log, mappings: { 'plc.yaml': mapping(await freePort()) }, extra: 'access:\n  anonymousWrite: true\n' });
    const client = await pool.connect(gw.url(), { clientId: 'hmi-7' });
    const inbox = new Inbox(client);
    await client.subscribeAsync('site/area/asset/+/set/result', { qos: 1 });
    await client.publishAsync('site/area/asset/level/set', '{"value": 5000, "id": "too-big"}', { qos: 1 });
    await client.publishAsync('site/area/asset/nosuch/set', '{"value": 1, "id": "typo"}', { qos: 1 });
    await inbox.waitFor(2);
    const writes = capture.lines.filter((line) => line.msg === 'write refused' || line.msg === 'write done');
    expect(writes.map((line) => ({ clientId: line.clientId, remote: line.remote, topic: line.topic, code: line.code, id: line.id }))).toEqual([
      { clientId: 'hmi-7', remote: '127.0.0.1', topic: 'site/area/asset/level/set', code: 'UNS_ERR_SET_RANGE', id: 'too-big' },
      { clientId: 'hmi-7', remote: '127.0.0.1', topic: 'site/area/asset/nosuch/set', code: 'UNS_ERR_SET_UNKNOWN_TAG', id: 'typo' },
    ]);
  });
});
