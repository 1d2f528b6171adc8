import { serveModbusTcp, type RunningModbusServer } from './modbus-server.ts';
import { PumpStation } from './pump-station.ts';

export interface RunningPlant {
  station: PumpStation;
  modbus: RunningModbusServer;
  stop(): Promise<void>;
}

/** Starts the demo pump station and serves it over Modbus TCP. */
export async function startPlant(host: string, modbusPort: number): Promise<RunningPlant> {
  const station = new PumpStation();
  const modbus = await serveModbusTcp(station.bank, host, modbusPort);
  station.start();
  return {
    station,
    modbus,
    async stop() {
      station.stop();
      await modbus.close();
    },
  };
}
