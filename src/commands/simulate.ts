import { startPlant } from '../../connectors/simulator/plant.ts';

/** Serves the demo pump station over Modbus TCP until SIGINT or SIGTERM. */
export async function simulateCommand(host: string, modbusPort: number): Promise<number> {
  const plant = await startPlant(host, modbusPort);
  process.stdout.write(`demo pump station on Modbus TCP ${host}:${plant.modbus.port} (unit id any); Ctrl-C stops it\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await plant.stop();
  return 0;
}
