import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPlant } from '../../connectors/simulator/plant.ts';

/** Serves the demo pump station over Modbus TCP and OPC UA until SIGINT or SIGTERM. */
export async function simulateCommand(host: string, modbusPort: number, opcuaPort: number): Promise<number> {
  const pkiDir = mkdtempSync(join(tmpdir(), 'uns-simulator-'));
  const plant = await startPlant({ host, modbusPort, ...(opcuaPort > 0 ? { opcua: { port: opcuaPort, pkiDir } } : {}) });
  process.stdout.write(`demo pump station: Modbus TCP ${host}:${plant.modbus.port} (any unit id)${plant.opcua ? `, OPC UA ${plant.opcua.endpoint}` : ''}; Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await plant.stop();
  rmSync(pkiDir, { recursive: true, force: true });
  return 0;
}
