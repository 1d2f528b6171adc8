import { join } from 'node:path';
import { AccessLevelFlag, DataType, OPCUACertificateManager, OPCUAServer, StatusCodes, Variant, type UAVariable } from 'node-opcua';
import type { PumpStation } from './pump-station.ts';

export interface RunningOpcuaServer {
  endpoint: string;
  /** Open client sessions, to check that reconnects leave none behind. */
  sessions(): number;
  close(): Promise<void>;
}

interface Point {
  name: string;
  dataType: DataType;
  read: (station: PumpStation) => number | boolean | string;
  write?: (station: PumpStation, value: number | boolean) => void;
}

/** What the pump station shows over OPC UA, under Objects/PumpStation (ns=1;s=PumpStation.<name>). */
const POINTS: Point[] = [
  { name: 'DischargePressure', dataType: DataType.Double, read: (s) => s.bank.getFloat32('holding', 0) },
  { name: 'Flow', dataType: DataType.Double, read: (s) => s.bank.getFloat32('holding', 2) },
  { name: 'MotorSpeed', dataType: DataType.UInt16, read: (s) => s.bank.holding[4] ?? 0 },
  {
    name: 'SpeedSetpoint',
    dataType: DataType.UInt16,
    read: (s) => s.bank.holding[5] ?? 0,
    write: (s, v) => {
      s.bank.holding[5] = Number(v);
    },
  },
  { name: 'MotorTemperature', dataType: DataType.Double, read: (s) => (s.bank.holding[6] ?? 0) / 10 },
  {
    name: 'Running',
    dataType: DataType.Boolean,
    read: (s) => s.bank.coils[0] === 1,
    write: (s, v) => {
      s.bank.coils[0] = v ? 1 : 0;
    },
  },
  { name: 'Nameplate', dataType: DataType.String, read: () => 'PUMP-101' },
];

/** Serves the pump station over OPC UA (security None, anonymous), refreshing values as the plant moves. */
export async function serveOpcua(station: PumpStation, host: string, port: number, pkiDir: string, refreshMs = 500): Promise<RunningOpcuaServer> {
  const manager = new OPCUACertificateManager({ rootFolder: join(pkiDir, 'simulator'), automaticallyAcceptUnknownCertificate: true });
  await manager.initialize();
  // `host` is the address the TCP server binds; `hostname` only names it in the endpoint URL.
  const server = new OPCUAServer({ port, host, hostname: host, alternateHostname: host, serverCertificateManager: manager });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const namespace = addressSpace.getOwnNamespace();
  const folder = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'PumpStation' });
  const variables: Array<[Point, UAVariable]> = POINTS.map((point) => {
    const access = point.write ? AccessLevelFlag.CurrentRead | AccessLevelFlag.CurrentWrite : AccessLevelFlag.CurrentRead;
    const variable = namespace.addVariable({
      componentOf: folder,
      browseName: point.name,
      nodeId: `s=PumpStation.${point.name}`,
      dataType: point.dataType,
      minimumSamplingInterval: 100,
      accessLevel: access,
      userAccessLevel: access,
    });
    if (point.write) {
      const write = point.write;
      variable.on('value_changed', (dataValue) => {
        const value = dataValue.value.value as number | boolean;
        if (value !== point.read(station)) write(station, value);
      });
    }
    return [point, variable];
  });
  const refresh = () => {
    for (const [point, variable] of variables) {
      variable.setValueFromSource(new Variant({ dataType: point.dataType, value: point.read(station) }), StatusCodes.Good);
    }
  };
  refresh();
  try {
    await server.start();
  } catch (error) {
    await server.shutdown(0);
    await manager.dispose();
    throw error;
  }
  const timer = setInterval(refresh, refreshMs);
  return {
    endpoint: server.getEndpointUrl(),
    sessions: () => server.engine.currentSessionCount,
    close: async () => {
      clearInterval(timer);
      await server.shutdown(0);
      await manager.dispose();
    },
  };
}
