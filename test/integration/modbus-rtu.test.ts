import { fork, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.ts';
import { ClientPool, Inbox } from '../helpers/mqtt.ts';
import { ptyPair, socatMissing, type PtyPair } from '../helpers/pty-pair.ts';
import type { RtuServerRequest } from '../helpers/rtu-server-process.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const device = (name: string, unitId: number, path: string) => `
  - name: ${name}
    protocol: modbus
    transport: { type: rtu, path: ${path}, baudRate: 19200, parity: none }
    unitId: ${unitId}
    timeoutMs: 500
    pollGroups: { default: { intervalMs: 100 } }
    site: plant
    area: rtu-line
    asset: ${name}
    tags:
      - { name: level, register: holding, address: 0, dataType: float32, byteOrder: CDAB, unit: m }
      - { name: setpoint, register: holding, address: 2, dataType: uint16, writable: true, min: 0, max: 100 }
`;

let dir: TempDir;
let pty: PtyPair;
let server: ChildProcess;
let gw: TestGateway;
const pool = new ClientPool();

/** Sends a request to the RTU slave process and returns the register value it answers with. */
function slave(request: RtuServerRequest): Promise<number> {
  return new Promise((resolve) => {
    server.once('message', (reply: { value: number }) => resolve(reply.value));
    server.send(request);
  });
}

// The RTU tests need socat for a pty pair; without it they are skipped, saying why, rather than failing.
const missing = socatMissing();
if (missing !== undefined) console.warn(`skipping the Modbus RTU tests: ${missing}`);

describe.skipIf(missing !== undefined)('Modbus RTU over a serial line (socat pty pair)', () => {
  beforeAll(async () => {
    dir = makeTempDir();
    pty = await ptyPair(dir.path);
    server = fork(new URL('../helpers/rtu-server-process.ts', import.meta.url), [pty.a, '19200'], { execArgv: ['--import', 'tsx'] });
    await new Promise<void>((resolve, reject) =>
      server.once('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? resolve() : reject(new Error(m.message)))),
    );
    // CDAB: the low word of the float comes first on the wire.
    await slave({ type: 'set-float-cdab', address: 0, value: 2.5 });
    await slave({ type: 'set', address: 2, value: 40 });
    // Two units on one serial line: the gateway must poll them one request at a time through one port.
    gw = await startTestGateway({ mappings: { 'rtu.yaml': `devices:${device('tank-1', 1, pty.b)}${device('tank-2', 2, pty.b)}` }, extra: 'access:\n  anonymousWrite: true\n' });
  });

  afterAll(async () => {
    await pool.endAll();
    await gw?.stop();
    if (server?.connected) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.disconnect();
      await exited;
    }
    await pty?.close();
    dir?.remove();
  });

  it('reads two units on one line through one port, with RTU framing and CRC', async () => {
    const sub = await pool.connect(gw.url());
    const inbox = new Inbox(sub);
    await sub.subscribeAsync('plant/rtu-line/+/level', { qos: 1 });
    await inbox.waitFor(2, 10_000);
    const values = Object.fromEntries(inbox.messages.map((m) => [m.topic, JSON.parse(m.payload).value as number]));
    expect(values).toEqual({ 'plant/rtu-line/tank-1/level': 2.5, 'plant/rtu-line/tank-2/level': 2.5 });
  });

  it('writes a setpoint over RTU [FC 6] and reads it back', async () => {
    const client = await pool.connect(gw.url());
    const inbox = new Inbox(client);
    await client.subscribeAsync('plant/rtu-line/tank-2/setpoint/set/result', { qos: 1 });
    await client.publishAsync('plant/rtu-line/tank-2/setpoint/set', '{"value": 75, "id": "rtu"}', { qos: 1 });
    const [result] = await inbox.waitFor(1, 10_000);
    expect(JSON.parse(result?.payload ?? '{}')).toEqual({ ok: true, id: 'rtu', value: 75, timestamp: expect.any(Number) });
    expect(await slave({ type: 'get', address: 2 })).toBe(75);
  });
});
