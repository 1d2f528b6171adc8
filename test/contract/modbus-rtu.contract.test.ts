import { fork, type ChildProcess } from 'node:child_process';
import { describe } from 'vitest';
import { ptyPair, socatMissing } from '../helpers/pty-pair.ts';
import type { RtuServerRequest } from '../helpers/rtu-server-process.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { connectorContract } from './connector.contract.ts';

const BAUD = '38400';

/** The simulator's register bank behind a Modbus RTU slave, in a process of its own on one end of the line. */
async function startSlave(path: string): Promise<ChildProcess> {
  const slave = fork(new URL('../helpers/rtu-server-process.ts', import.meta.url), [path, BAUD], { execArgv: ['--import', 'tsx'] });
  await new Promise<void>((resolve, reject) =>
    slave.once('message', (m: { type: string; message?: string }) => (m.type === 'ready' ? resolve() : reject(new Error(m.message)))),
  );
  return slave;
}

function ask(slave: ChildProcess, request: RtuServerRequest): Promise<number> {
  return new Promise((resolve) => {
    slave.once('message', (reply: { value: number }) => resolve(reply.value));
    slave.send(request);
  });
}

async function stopSlave(slave: ChildProcess): Promise<void> {
  if (!slave.connected) return;
  const exited = new Promise((resolve) => slave.once('exit', resolve));
  slave.disconnect();
  await exited;
}

// The RTU contract needs socat for a pty pair; without it it is skipped, saying why, as modbus-rtu.test.ts is.
const missing = socatMissing();
if (missing !== undefined) console.warn(`skipping the Modbus RTU connector contract: ${missing}`);

describe.skipIf(missing !== undefined)('Modbus RTU over a socat pty pair', () => {
  connectorContract('Modbus RTU', async () => {
    const dir = makeTempDir();
    const pty = await ptyPair(dir.path);
    const seeded = async (slave: ChildProcess) => {
      await ask(slave, { type: 'set-float-cdab', address: 0, value: 2.5 });
      await ask(slave, { type: 'set', address: 2, value: 40 });
      return slave;
    };
    let slave = await seeded(await startSlave(pty.a));
    return {
      devices: [
        {
          name: 'tank',
          protocol: 'modbus',
          transport: { type: 'rtu', path: pty.b, baudRate: Number(BAUD) },
          timeoutMs: 150,
          pollGroups: { default: { intervalMs: 50 } },
          reconnect: { initialMs: 50, maxMs: 200 },
          tags: [
            { name: 'level', register: 'holding', address: 0, dataType: 'float32', byteOrder: 'CDAB' },
            { name: 'setpoint', register: 'holding', address: 2, dataType: 'uint16', writable: true },
            { name: 'pump', register: 'coil', address: 0, dataType: 'bool', writable: true },
            { name: 'alarm', register: 'discrete', address: 0, dataType: 'bool' },
          ],
        },
      ],
      write: { tagId: 'tank/setpoint', value: 75, onPeer: () => ask(slave, { type: 'get', address: 2 }) },
      outOfRange: 70_000,
      readOnly: 'tank/level',
      goAway: () => stopSlave(slave),
      comeBack: async () => {
        slave = await seeded(await startSlave(pty.a));
      },
      close: async () => {
        await stopSlave(slave);
        await pty.close();
        dir.remove();
      },
    };
  });
});
