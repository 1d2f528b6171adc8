import { PlantListenError } from './listen-error.ts';
import { serveModbusTcp, type RunningModbusServer } from './modbus-server.ts';
import type { RunningOpcuaServer } from './opcua-server.ts';
import { PumpStation } from './pump-station.ts';

export interface PlantOptions {
  host: string;
  modbusPort: number;
  /** Serve OPC UA too, on this port; its server certificate goes under `pkiDir`. */
  opcua?: { port: number; pkiDir: string };
  /** Where node-opcua's own warnings go (it prints them to the console otherwise). */
  log?: (level: 'debug' | 'warn', message: string) => void;
}

export interface RunningPlant {
  station: PumpStation;
  modbus: RunningModbusServer;
  opcua: RunningOpcuaServer | undefined;
  stop(): Promise<void>;
}

/** Starts the demo pump station and serves it over Modbus TCP and, when asked, OPC UA. */
export async function startPlant(options: PlantOptions): Promise<RunningPlant> {
  const station = new PumpStation();
  const modbus = await serveModbusTcp(station.bank, options.host, options.modbusPort).catch((error: unknown) => {
    throw new PlantListenError('modbus', options.host, options.modbusPort, error);
  });
  let opcua: RunningOpcuaServer | undefined;
  if (options.opcua) {
    const { port, pkiDir } = options.opcua;
    // node-opcua is loaded only when the demo serves OPC UA: it is large.
    const { routeOpcuaLogs } = await import('../opcua/logging.ts');
    routeOpcuaLogs(options.log ?? (() => undefined));
    const { serveOpcua } = await import('./opcua-server.ts');
    opcua = await serveOpcua(station, options.host, port, pkiDir).catch(async (error: unknown) => {
      await modbus.close();
      throw new PlantListenError('opcua', options.host, port, error);
    });
  }
  station.start();
  return {
    station,
    modbus,
    opcua,
    async stop() {
      station.stop();
      await modbus.close();
      await opcua?.close();
    },
  };
}
