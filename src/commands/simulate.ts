import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlant } from '../../connectors/simulator/plant.ts';
import { plantStartError } from '../plant-errors.ts';

export interface SimulateArgs {
  host: string;
  modbusPort: number;
  /** 0: no OPC UA server. */
  opcuaPort: number;
}

const OPTION_NAMES = { host: '--host', modbus: '--port', opcua: '--opcua-port' };

/** Serves the demo pump station over Modbus TCP and OPC UA until SIGINT, SIGTERM or SIGHUP. */
export async function simulateCommand({ host, modbusPort, opcuaPort }: SimulateArgs): Promise<number> {
  const pkiDir = mkdtempSync(join(tmpdir(), 'uns-simulator-'));
  try {
    const plant = await startPlant({ host, modbusPort, ...(opcuaPort > 0 ? { opcua: { port: opcuaPort, pkiDir } } : {}) }).catch((error: unknown) => {
      throw plantStartError(error, OPTION_NAMES);
    });
    process.stdout.write(`demo pump station: Modbus TCP ${host}:${plant.modbus.port} (any unit id)${plant.opcua ? `, OPC UA ${plant.opcua.endpoint}` : ''}; Ctrl-C stops it\n`);
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => resolve());
    });
    await plant.stop();
    return 0;
  } finally {
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
