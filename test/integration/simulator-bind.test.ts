import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlant, type RunningPlant } from '../../connectors/simulator/plant.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

let dir: TempDir | undefined;
let plant: RunningPlant | undefined;

afterEach(async () => {
  await plant?.stop();
  plant = undefined;
  dir?.remove();
  dir = undefined;
});

/** 'connected', or the error code of the attempt. 127.0.0.2 reaches this machine too, but is another address. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('demo plant binds simulator.host only', () => {
  it('serves OPC UA and Modbus on 127.0.0.1 and refuses connections to 127.0.0.2', async () => {
    dir = makeTempDir();
    const modbusPort = await freePort();
    const opcuaPort = await freePort();
    plant = await startPlant({ host: '127.0.0.1', modbusPort, opcua: { port: opcuaPort, pkiDir: dir.path } });
    expect(plant.opcua?.endpoint).toBe(`opc.tcp://127.0.0.1:${opcuaPort}`);
    expect(await tryConnect('127.0.0.1', opcuaPort)).toBe('connected');
    expect(await tryConnect('127.0.0.2', opcuaPort)).toBe('ECONNREFUSED');
    expect(await tryConnect('127.0.0.1', modbusPort)).toBe('connected');
    expect(await tryConnect('127.0.0.2', modbusPort)).toBe('ECONNREFUSED');
  }, 60_000); // node-opcua makes a server certificate first: slow on a busy machine
});
