import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { hasMosquitto, mosquitto, type MosquittoProcess } from '../helpers/mosquitto.ts';
import { ClientPool, Inbox, sleep } from '../helpers/mqtt.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';
import { until } from '../helpers/until.ts';

const mapping = (port: number) => `devices:
  - name: plc
    protocol: modbus
    pollGroups: { default: { intervalMs: 100 } }
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    site: plant
    area: line1
    asset: press
    tags:
      - { name: setpoint, register: holding, address: 5, dataType: uint16, writable: true, min: 0, max: 3000 }
      - { name: speed, register: holding, address: 6, dataType: uint16, writable: true, min: 0, max: 100 }
`;

const pool = new ClientPool();
let dir: TempDir;
let bank: RegisterBank;
let plc: RunningModbusServer;
let upstream: MosquittoProcess;
let gw: TestGateway;
let hq: MqttClient;
let results: Inbox;
let localView: Inbox;

beforeAll(async () => {
  if (!hasMosquitto) return;
  dir = makeTempDir();
  upstream = await mosquitto({ dir: dir.path });
  bank = new RegisterBank();
  plc = await serveModbusTcp(bank, '127.0.0.1', await freePort());
  gw = await startTestGateway({
    mappings: { 'plc.yaml': mapping(plc.port) },
    extra: `access:
  roles:
    hq-setpoints: { write: ['plant/line1/press/setpoint'] }
bridges:
  - name: hq
    url: ${upstream.url}
    prefix: acme/
    reconnect: { minS: 0.1, maxS: 0.5 }
    downlink: { enabled: true, roles: [hq-setpoints] }
`,
  });
  hq = await pool.connect(upstream.url);
  results = new Inbox(hq);
  await hq.subscribeAsync(['acme/+/+/+/+/set/result', 'acme/plant/+/+/+/set'], { qos: 1 });
  const local = await pool.connect(gw.url());
  localView = new Inbox(local);
  await local.subscribeAsync('plant/#', { qos: 1 });
  // Connected: the presence is upstream, and the device has been read.
  const presence = await pool.connect(upstream.url);
  const online = new Inbox(presence);
  await presence.subscribeAsync('acme/_gateway/test-gw/presence', { qos: 1 });
  await online.waitFor(1, 10_000);
  await until(() => localView.messages.some((m) => m.topic === 'plant/line1/press/setpoint'), 10_000);
});

afterAll(async () => {
  if (!hasMosquitto) return;
  await pool.endAll();
  await gw?.stop();
  await plc.close();
  await upstream.kill();
  dir.remove();
});

/** Publishes a setpoint upstream and returns the `/set/result` that comes back for its id. */
async function setFromUpstream(tag: string, value: number, id: string): Promise<Record<string, unknown>> {
  await hq.publishAsync(`acme/plant/line1/press/${tag}/set`, JSON.stringify({ value, id }), { qos: 1 });
  const find = () => results.messages.find((m) => m.topic.endsWith('/set/result') && (JSON.parse(m.payload) as { id?: string }).id === id);
  await until(() => find() !== undefined, 5000);
  return JSON.parse(find()?.payload ?? '{}') as Record<string, unknown>;
}

describe.skipIf(!hasMosquitto)('bridge downlink: setpoints from the upstream through the local write path', () => {
  it('writes a setpoint within range to the PLC and answers upstream on /set/result', async () => {
    const result = await setFromUpstream('setpoint', 1200, 'w-1');
    expect(result).toMatchObject({ ok: true, id: 'w-1', value: 1200 });
    expect(bank.holding[5]).toBe(1200);
    expect(results.messages.find((m) => m.payload.includes('"w-1"') && m.topic.endsWith('/set/result'))?.topic).toBe('acme/plant/line1/press/setpoint/set/result');
  });

  it('refuses out of range and outside the bridge\'s write right, without touching the PLC', async () => {
    bank.holding[5] = 700;
    bank.holding[6] = 10;
    const range = await setFromUpstream('setpoint', 5000, 'w-2');
    expect(range).toMatchObject({ ok: false, id: 'w-2', error: { code: 'UNS_ERR_SET_RANGE' } });
    const forbidden = await setFromUpstream('speed', 50, 'w-3');
    expect(forbidden).toMatchObject({ ok: false, id: 'w-3', error: { code: 'UNS_ERR_SET_FORBIDDEN' } });
    await sleep(300);
    expect(bank.holding[5]).toBe(700);
    expect(bank.holding[6]).toBe(10);
  });

  it('publishes nothing that came down on the local broker, so nothing of it goes back up', async () => {
    await setFromUpstream('setpoint', 1300, 'w-4');
    // A command for another gateway's site on the same upstream is not this gateway's to answer.
    await hq.publishAsync('acme/elsewhere/line1/press/setpoint/set', JSON.stringify({ value: 1, id: 'w-5' }), { qos: 1 });
    await sleep(300);
    expect(results.messages.filter((m) => m.topic.startsWith('acme/elsewhere/'))).toEqual([]);
    expect(localView.messages.filter((m) => m.topic.endsWith('/set') || m.topic.endsWith('/set/result'))).toEqual([]);
    // Upstream: each command once (its own publish), each result once.
    const commands = results.messages.filter((m) => m.topic.endsWith('/set'));
    expect(commands.length).toBe(4);
    expect(results.messages.filter((m) => m.topic.endsWith('/set/result')).length).toBe(4);
  });
});
