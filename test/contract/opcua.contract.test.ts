import { join } from 'node:path';
import { routeOpcuaLogs } from '../../connectors/opcua/logging.ts';
import { serveOpcua, type RunningOpcuaServer } from '../../connectors/simulator/opcua-server.ts';
import { PumpStation } from '../../connectors/simulator/pump-station.ts';
import { freePort } from '../helpers/free-port.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { connectorContract } from './connector.contract.ts';

const node = (name: string) => `ns=1;s=PumpStation.${name}`;

connectorContract('OPC UA', async () => {
  routeOpcuaLogs(() => undefined);
  const dir = makeTempDir();
  const port = await freePort();
  const station = new PumpStation();
  const serve = (): Promise<RunningOpcuaServer> => serveOpcua(station, '127.0.0.1', port, dir.path, 100);
  let server = await serve();
  station.start(50);
  return {
    devices: [
      {
        name: 'pump',
        protocol: 'opcua',
        endpoint: `opc.tcp://127.0.0.1:${port}`,
        pkiDir: join(dir.path, 'client'),
        autoAcceptServerCertificate: true,
        publishingIntervalMs: 50,
        samplingIntervalMs: 50,
        reconnect: { initialMs: 100, maxMs: 300 },
        tags: [
          { name: 'pressure', nodeId: node('DischargePressure') },
          { name: 'flow', nodeId: node('Flow') },
          { name: 'speed', nodeId: node('MotorSpeed') },
          { name: 'setpoint', nodeId: node('SpeedSetpoint'), writable: true },
          { name: 'temperature', nodeId: node('MotorTemperature') },
          { name: 'running', nodeId: node('Running'), writable: true },
          { name: 'nameplate', nodeId: node('Nameplate') },
        ],
      },
    ],
    write: { tagId: 'pump/setpoint', value: 1200, onPeer: async () => station.bank.holding[5] },
    // SpeedSetpoint is a UInt16 node.
    outOfRange: 70_000,
    readOnly: 'pump/nameplate',
    goAway: () => server.close(),
    comeBack: async () => {
      server = await serve();
    },
    connections: () => server.sessions(),
    close: async () => {
      station.stop();
      await server.close();
      dir.remove();
    },
  };
});
