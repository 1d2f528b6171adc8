import { serveModbusTcp } from '../../connectors/simulator/modbus-server.ts';
import { PumpStation } from '../../connectors/simulator/pump-station.ts';
import { freePort } from '../helpers/free-port.ts';
import { connectorContract } from './connector.contract.ts';

connectorContract('Modbus TCP', async () => {
  const port = await freePort();
  const station = new PumpStation();
  let server = await serveModbusTcp(station.bank, '127.0.0.1', port);
  station.start(50);
  return {
    devices: [
      {
        name: 'pump',
        protocol: 'modbus',
        transport: { type: 'tcp', host: '127.0.0.1', port },
        timeoutMs: 300,
        pollGroups: { default: { intervalMs: 50 } },
        reconnect: { initialMs: 50, maxMs: 200 },
        tags: [
          { name: 'pressure', register: 'holding', address: 0, dataType: 'float32' },
          { name: 'speed', register: 'holding', address: 4, dataType: 'uint16' },
          { name: 'setpoint', register: 'holding', address: 5, dataType: 'uint16', writable: true },
          { name: 'temperature', register: 'holding', address: 6, dataType: 'int16', scale: 0.1 },
          { name: 'nameplate', register: 'holding', address: 10, dataType: 'string', length: 8 },
          { name: 'running', register: 'coil', address: 0, dataType: 'bool', writable: true },
          { name: 'fault', register: 'discrete', address: 0, dataType: 'bool' },
          { name: 'suction', register: 'input', address: 0, dataType: 'float32' },
        ],
      },
    ],
    write: { tagId: 'pump/setpoint', value: 1200, onPeer: async () => station.bank.holding[5] },
    outOfRange: 70_000,
    readOnly: 'pump/speed',
    goAway: () => server.close(),
    comeBack: async () => {
      server = await serveModbusTcp(station.bank, '127.0.0.1', port);
    },
    connections: () => server.connections(),
    close: async () => {
      station.stop();
      await server.close();
    },
  };
});
