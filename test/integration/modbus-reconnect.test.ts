import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, expect, it, type OnTestFinishedHandler } from 'vitest';
import { ErrorCodes } from '../../shared/errors.ts';
import { ModbusConnector } from '../../connectors/modbus/connector.ts';
import { RegisterBank } from '../../connectors/simulator/registers.ts';
import { modbusDeviceSchema } from '../../schemas/modbus.ts';
import { ConnectorRecorder } from '../helpers/connector-recorder.ts';
import { freePort } from '../helpers/free-port.ts';
import { HoldableModbusServer } from '../helpers/holdable-modbus-server.ts';
import { sleep } from '../helpers/mqtt.ts';
import { eventually } from '../helpers/until.ts';

/** Registers cleanup with the running test (also right for concurrent tests). */
type OnFinished = (handler: OnTestFinishedHandler) => void;

function startConnector(device: unknown, onFinished: OnFinished): ConnectorRecorder {
  const connector = new ModbusConnector([modbusDeviceSchema.parse(device)]);
  const recorder = new ConnectorRecorder();
  onFinished(() => connector.stop());
  void connector.start(recorder.context);
  return recorder;
}

describe('a scan belongs to the connection it started on', () => {
  it('publishes every tag good again after the device freezes mid-scan and resumes unchanged, and the stale scan publishes nothing', async ({ onTestFinished }) => {
    const bank = new RegisterBank();
    bank.holding[0] = 11;
    bank.coils[0] = 1;
    bank.input[0] = 22;
    bank.holding[200] = 4242;
    const server = new HoldableModbusServer(bank, await freePort());
    await server.start();
    onTestFinished(() => server.close());
    const recorder = startConnector({
      name: 'frozen',
      protocol: 'modbus',
      transport: { type: 'tcp', host: '127.0.0.1', port: server.port },
      timeoutMs: 150,
      pollGroups: { fast: { intervalMs: 10 }, slow: { intervalMs: 50 } },
      reconnect: { initialMs: 50, maxMs: 50 },
      tags: [
        { name: 'fast', register: 'holding', address: 0, dataType: 'uint16', pollGroup: 'fast' },
        // Three tables: the slow group's scan is three reads, coil 0, input 0, holding 200.
        { name: 'running', register: 'coil', address: 0, dataType: 'bool', pollGroup: 'slow' },
        { name: 'suction', register: 'input', address: 0, dataType: 'uint16', pollGroup: 'slow' },
        { name: 'far', register: 'holding', address: 200, dataType: 'uint16', pollGroup: 'slow' },
      ],
    }, onTestFinished);
    const expected = new Map<string, unknown>([
      ['frozen/fast', 11],
      ['frozen/running', true],
      ['frozen/suction', 22],
      ['frozen/far', 4242],
    ]);
    const allGood = () => [...expected].every(([id, value]) => recorder.latest().get(id)?.quality === 'good' && recorder.latest().get(id)?.value === value);
    expect(await eventually(allGood, 3000)).toBe(true);

    // Freeze on a fast read while the slow group is between scans. The fast read times out, then the
    // slow scan's first, then the fast one again: that third timeout in a row drops the connection
    // while the slow scan still has two reads to go (the old code sent the next one on the old socket
    // and the last on the new one, and cached that last block: its tag was never published good again).
    const before = server.sockets();
    server.holdFrom((read, previous) => read.table === 'holding' && read.address === 0 && previous?.table === 'holding' && previous.address === 200);
    expect(await eventually(() => server.sockets().some((socket) => !before.includes(socket)), 3000)).toBe(true);
    // The device resumes, its registers unchanged, as the connector reconnects.
    const resumedAt = recorder.samples.length;
    server.release();

    const recovered = await eventually(allGood, 2000);
    const notGood = [...expected.keys()].filter((id) => recorder.latest().get(id)?.quality !== 'good');
    expect(notGood).toEqual([]);
    expect(recovered).toBe(true);
    expect(Object.fromEntries([...expected.keys()].map((id) => [id, recorder.latest().get(id)?.value]))).toEqual(Object.fromEntries(expected));
    // Nothing the scan of the old connection read or missed is published once a tag is good again.
    await sleep(300);
    const after = recorder.samples.slice(resumedAt);
    const badAfterGood = after.filter((sample, index) => sample.quality !== 'good' && after.slice(0, index).some((s) => s.tagId === sample.tagId && s.quality === 'good'));
    expect(badAfterGood).toEqual([]);
    // The freeze did cost the connection: every tag went bad (three timeouts in a row) before it came back.
    const lost = recorder.samples.slice(0, resumedAt).filter((s) => s.quality === 'bad' && s.status === ErrorCodes.MODBUS_TIMEOUT);
    expect(new Set(lost.map((s) => s.tagId))).toEqual(new Set(expected.keys()));
  });
});

describe('backoff against a port that is not Modbus', () => {
  /** A plain TCP server that notes the time of each connection and answers requests its own way. */
  async function notModbus(answer: (socket: Socket, data: Buffer) => void, onFinished: OnFinished): Promise<{ port: number; connects: number[] }> {
    const connects: number[] = [];
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      connects.push(Date.now());
      sockets.add(socket);
      socket.on('data', (data) => answer(socket, data)).on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onFinished(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return { port: (server.address() as AddressInfo).port, connects };
  }

  it.concurrent.for([
    ['says nothing', () => undefined, ErrorCodes.MODBUS_NO_ANSWER],
    ['answers garbage', (socket: Socket) => void socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'), ErrorCodes.MODBUS_NO_ANSWER],
    ['echoes every request back', (socket: Socket, data: Buffer) => void socket.write(data), ErrorCodes.MODBUS_BAD_RESPONSE],
  ] as const)('a port that %s: the reconnect gaps grow and the status settles to error', async ([, answer, code], { onTestFinished }) => {
    const peer = await notModbus(answer, onTestFinished);
    const recorder = startConnector({
      name: 'not-modbus',
      protocol: 'modbus',
      transport: { type: 'tcp', host: '127.0.0.1', port: peer.port },
      timeoutMs: 30,
      pollGroups: { default: { intervalMs: 10 } },
      reconnect: { initialMs: 150, maxMs: 5000 },
      tags: [{ name: 'counter', register: 'holding', address: 0, dataType: 'uint16' }],
    }, onTestFinished);
    await sleep(3000);
    const gaps = peer.connects.slice(1).map((at, i) => at - (peer.connects[i] ?? at));
    // 150 ms doubling (±20 %), plus three 30 ms timeouts where the port stays silent: about 5 connects.
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    expect(gaps.length).toBeLessThanOrEqual(6);
    expect(gaps.filter((gap, i) => i > 0 && gap <= (gaps[i - 1] ?? 0)), `gaps ${gaps.join(', ')} ms`).toEqual([]);
    expect(recorder.statuses.map((s) => s.state)).not.toContain('connected');
    expect(recorder.statuses.at(-1)).toMatchObject({ state: 'error', error: { code } });
    // The tag goes bad once, with that code, and stays so: no flapping between codes on each attempt.
    expect(recorder.samples.map(({ quality, status, value }) => ({ quality, status, value }))).toEqual([{ quality: 'bad', status: code, value: null }]);
  });
});
