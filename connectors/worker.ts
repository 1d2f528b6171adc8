/** Generic worker bootstrap: builds the connector for its protocol and relays messages. */
import { parentPort, workerData } from 'node:worker_threads';
import { ConnectorCodes, ConnectorError } from './errors.ts';
import type { Connector, HostToWorker, WorkerSetup, WorkerToHost } from './sdk.ts';

async function createConnector(setup: WorkerSetup): Promise<Connector> {
  switch (setup.protocol) {
    case 'modbus': {
      const { ModbusConnector } = await import('./modbus/connector.ts');
      return new ModbusConnector(setup.devices as ConstructorParameters<typeof ModbusConnector>[0]);
    }
    case 'opcua':
      throw new Error('the OPC UA connector is not built yet');
  }
}

const port = parentPort;
if (!port) throw new Error('connectors/worker.ts runs in a worker thread');
const send = (message: WorkerToHost) => port.postMessage(message);

const connector = await createConnector(workerData as WorkerSetup);
port.on('message', (message: HostToWorker) => {
  if (message.type === 'stop') {
    connector.stop().finally(() => {
      send({ type: 'stopped' });
      port.close();
    });
    return;
  }
  const { request } = message;
  connector.write(request).then(
    ({ value, timestamp }) => send({ type: 'write-result', result: { requestId: request.requestId, ok: true, value, timestamp } }),
    (error: unknown) => {
      const wire =
        error instanceof ConnectorError
          ? error.toWire()
          : { code: ConnectorCodes.WRITE_FAILED, message: error instanceof Error ? error.message : String(error) };
      send({ type: 'write-result', result: { requestId: request.requestId, ok: false, error: wire } });
    },
  );
});
await connector.start({
  emit: (samples) => send({ type: 'samples', samples }),
  status: (report) => send({ type: 'status', report }),
  log: (level, message, data) => send({ type: 'log', level, message, ...(data ? { data } : {}) }),
});
