import type { MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serveModbusTcp, type RunningModbusServer } from '../../connectors/simulator/modbus-server.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { hashPassword } from '../../src/broker/passwords.ts';
import { freePort } from '../helpers/free-port.ts';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { captureLog } from '../helpers/log-capture.ts';
import { ClientPool, Inbox, sleep, subackCodes } from '../helpers/mqtt.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';

/** One PLC, mapped as a press in two areas: line1's register 5 and line2's register 6. */
const mapping = (port: number) => `devices:
${['line1', 'line2']
  .map(
    (area, index) => `  - name: press-${area}
    protocol: modbus
    transport: { type: tcp, host: 127.0.0.1, port: ${port} }
    pollGroups: { default: { intervalMs: 100 } }
    site: plant
    area: ${area}
    asset: press
    tags:
      - { name: setpoint, register: holding, address: ${5 + index}, dataType: uint16, writable: true, min: 0, max: 3000 }`,
  )
  .join('\n')}
`;

const ROLES = `  roles:
    viewer:
      description: reads the plant's namespace
      subscribe: ['plant/#']
    scada:
      subscribe: ['#', '$SYS/#']
    operator:
      subscribe: ['plant/#']
      write: ['plant/line1/#']
    bridge:
      subscribe: ['#']
      publish: ['bridge/%c/#']
    admin:
      subscribe: ['#', '$SYS/#']
      publish: ['#']
      write: ['#']
    paho:
      subscribe: { allow: ['#'], deny: ['test/nosubscribe'] }
      publish: ['#']
`;

const USERS = ['viewer', 'scada', 'operator', 'bridge', 'admin'];

const pool = new ClientPool();
const capture = captureLog('warn');
let bank: RegisterBank;
let plc: RunningModbusServer;
let gw: TestGateway;

const as = (username: string, clientId = `${username}-${Math.random().toString(16).slice(2, 8)}`) =>
  pool.connect(gw.url(), { username, password: `${username}-pw`, clientId });

beforeAll(async () => {
  bank = new RegisterBank();
  const port = await freePort();
  plc = await serveModbusTcp(bank, '127.0.0.1', port);
  const users = await Promise.all(USERS.map(async (name) => `    - { username: ${name}, password: "${await hashPassword(`${name}-pw`)}", roles: ${name} }`));
  gw = await startTestGateway({
    log: capture.log,
    mappings: { 'press.yaml': mapping(port) },
    extra: `access:\n  anonymousRoles: paho\n${ROLES}  users:\n${users.join('\n')}\n`,
  });
});
afterEach(() => pool.endAll());
afterAll(async () => {
  await gw.stop();
  await plc.close();
});

/** Publishes a /set and returns what the gateway answered on /set/result. */
async function set(client: MqttClient, tagTopic: string, value: number): Promise<Record<string, unknown>> {
  const inbox = new Inbox(client);
  await client.subscribeAsync(`${tagTopic}/set/result`, { qos: 1 });
  await client.publishAsync(`${tagTopic}/set`, JSON.stringify({ value }), { qos: 1 });
  const [result] = await inbox.waitFor(1);
  return JSON.parse(result?.payload ?? '{}') as Record<string, unknown>;
}

describe('roles with topic rules', () => {
  it('answers a denied subscription with 0x80 and grants the others in the same SUBSCRIBE', async () => {
    const viewer = await as('viewer');
    expect(await subackCodes(viewer, { 'plant/#': { qos: 1 }, '$SYS/#': { qos: 0 }, 'other/#': { qos: 1 }, '_gateway/#': { qos: 0 } })).toEqual([1, 128, 128, 128]);
    expect(capture.withCode('UNS_ERR_SUBSCRIBE_DENIED')[0]).toMatchObject({ username: 'viewer', topic: '$SYS/#' });
    const scada = await as('scada');
    expect(await subackCodes(scada, { '#': { qos: 0 }, '$SYS/#': { qos: 0 } })).toEqual([0, 0]);
  });

  it('acknowledges a denied publish, keeps the connection, and delivers it to no one', async () => {
    const admin = await as('admin');
    const inbox = new Inbox(admin);
    await admin.subscribeAsync('plant/#', { qos: 1 });
    const viewer = await as('viewer');
    await viewer.publishAsync('plant/line1/press/fake', '{"value":99}', { qos: 1, retain: true });
    await viewer.publishAsync('plant/line1/press/fake0', '{"value":99}', { qos: 0 });
    await admin.publishAsync('plant/marker', 'after', { qos: 1 });
    const received = await inbox.waitFor(1);
    await sleep(100);
    expect(inbox.messages.filter((m) => !m.topic.endsWith('/setpoint')).map((m) => m.topic)).toEqual(['plant/marker']);
    expect(received[0]).toBeDefined();
    expect(viewer.connected).toBe(true);
    expect(capture.withCode('UNS_ERR_PUBLISH_DENIED')[0]).toMatchObject({ username: 'viewer', topic: 'plant/line1/press/fake' });
    const late = await as('scada');
    const lateInbox = new Inbox(late);
    await late.subscribeAsync('plant/line1/press/+', { qos: 1 });
    await sleep(300);
    expect(lateInbox.messages.map((m) => m.topic)).not.toContain('plant/line1/press/fake');
  });

  it('never lets a viewer replace a tag value: a publish on a tag topic closes its connection and the retained value stays the gateway\'s', async () => {
    bank.holding[5] = 1234;
    const viewer = await as('viewer');
    const closed = new Promise<void>((resolve) => viewer.once('close', () => resolve()));
    viewer.publish('plant/line1/press/setpoint', '{"value":0}', { qos: 1, retain: true });
    await closed;
    const reader = await as('viewer');
    const inbox = new Inbox(reader);
    await reader.subscribeAsync('plant/line1/press/setpoint', { qos: 1 });
    const [value] = await inbox.waitFor(1);
    expect(JSON.parse(value?.payload ?? '{}')).toMatchObject({ value: 1234 });
  });

  it('lets an operator write under its area and not under another one', async () => {
    const operator = await as('operator');
    expect(await set(operator, 'plant/line1/press/setpoint', 1500)).toMatchObject({ ok: true, value: 1500 });
    expect(bank.holding[5]).toBe(1500);
    bank.holding[6] = 700;
    const refused = await set(operator, 'plant/line2/press/setpoint', 1600);
    expect(refused).toMatchObject({ ok: false, error: { code: 'UNS_ERR_SET_FORBIDDEN', message: 'user "operator" (roles operator) may not write plant/line2/press/setpoint (access.roles[].write; access.users[].write for a user without roles)' } });
    expect(bank.holding[6]).toBe(700);
    const scada = await as('scada');
    expect(await set(scada, 'plant/line1/press/setpoint', 1700)).toMatchObject({ ok: false, error: { code: 'UNS_ERR_SET_FORBIDDEN' } });
    expect(bank.holding[5]).toBe(1500);
  });

  it('fills %c in: a bridge publishes under its own client id only', async () => {
    const scada = await as('scada');
    const inbox = new Inbox(scada);
    await scada.subscribeAsync('bridge/#', { qos: 1 });
    const bridge = await as('bridge', 'bridge-a');
    await bridge.publishAsync('bridge/bridge-b/x', 'not mine', { qos: 1 });
    await bridge.publishAsync('bridge/bridge-a/x', 'mine', { qos: 1 });
    await inbox.waitFor(1);
    await sleep(100);
    expect(inbox.messages.map((m) => `${m.topic}=${m.payload}`)).toEqual(['bridge/bridge-a/x=mine']);
  });

  it('refuses (CONNACK 5) a will on a topic the user may not publish to', async () => {
    const refused = pool.open(gw.url(), { username: 'viewer', password: 'viewer-pw', will: { topic: 'plant/line1/alarm', payload: Buffer.from('x'), qos: 1, retain: true } });
    const error = await new Promise<Error & { code?: number }>((resolve) => refused.once('error', resolve));
    expect(error.code).toBe(5);
  });

  it('keeps $SYS and _gateway/… read-only for everyone, admin included', async () => {
    for (const topic of ['$SYS/fake', '_gateway/test-gw/status']) {
      const admin = await as('admin');
      const closed = new Promise<void>((resolve) => admin.once('close', () => resolve()));
      admin.publish(topic, 'x', { qos: 1 });
      await closed;
    }
    const refused = capture.withCode('UNS_ERR_PUBLISH_REFUSED').filter((line) => line.clientId?.toString().startsWith('admin-'));
    expect(refused.map((line) => line.topic)).toEqual(['$SYS/fake', '_gateway/test-gw/status']);
  });
});

describe('Paho interoperability suite: test_subscribe_failure, in config', () => {
  it('refuses a subscription to test/nosubscribe (0x80), and "#" gets every topic but that one', async () => {
    const client = await pool.connect(gw.url(), { clientId: 'myclientid' });
    const inbox = new Inbox(client);
    expect(await subackCodes(client, { 'test/nosubscribe': { qos: 2 } })).toEqual([128]);
    const [all] = await client.subscribeAsync('test/#', { qos: 2 });
    expect(all?.qos).toBe(2);
    await client.publishAsync('test/nosubscribe', 'hidden', { qos: 1 });
    await client.publishAsync('test/other', 'shown', { qos: 1 });
    await inbox.waitFor(1);
    await sleep(100);
    expect(inbox.messages.map((m) => m.topic)).toEqual(['test/other']);
  });
});

describe('a persistent session under rules changed since it was stored', () => {
  it('delivers only what the rules allow now: queued, restored and live messages alike', async () => {
    const dir = makeTempDir();
    const hash = await hashPassword('viewer-pw');
    const config = (allowed: string) => ({
      dir,
      extra: `access:\n  roles:\n    viewer: { subscribe: ['${allowed}'] }\n  users:\n    - { username: viewer, password: "${hash}", roles: viewer }\n`,
    });
    const viewerOptions = { username: 'viewer', password: 'viewer-pw', clientId: 'viewer-1', clean: false };
    let first: TestGateway | undefined = await startTestGateway(config('plant/#'));
    try {
      const viewer = await pool.connect(first.url(), viewerOptions);
      expect(await subackCodes(viewer, { 'plant/#': { qos: 1 } })).toEqual([1]);
      await viewer.endAsync();
      const publisher = await pool.connect(first.url());
      await publisher.publishAsync('plant/line2/queued', 'secret', { qos: 1 });
      await publisher.publishAsync('plant/line1/queued', 'ok', { qos: 1 });
      await pool.endAll();
      await first.stop();
      first = await startTestGateway(config('plant/line1/#'));
      const inbox = new Inbox(await pool.connect(first.url(), viewerOptions));
      const live = await pool.connect(first.url());
      await live.publishAsync('plant/line2/live', 'secret', { qos: 1 });
      await live.publishAsync('plant/line1/live', 'ok', { qos: 1 });
      await inbox.waitFor(2);
      await sleep(100);
      expect(inbox.messages.map((m) => m.topic)).toEqual(['plant/line1/queued', 'plant/line1/live']);
    } finally {
      await pool.endAll();
      await first?.stop();
      dir.remove();
    }
  });
});
