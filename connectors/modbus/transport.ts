import ModbusRTU from 'modbus-serial';
import type { z } from 'zod';
import type { modbusTransportSchema } from '../../schemas/modbus.ts';

export type ModbusTransport = z.infer<typeof modbusTransportSchema>;
export type ModbusClient = InstanceType<typeof ModbusRTU.default>;

/** Opens a new client on the transport; every reconnect gets a fresh one, so nothing leaks across. */
export async function openClient(transport: ModbusTransport, timeoutMs: number): Promise<ModbusClient> {
  const client = new ModbusRTU.default();
  // modbus-serial has no default timeout: without one a lost reply would hang the queue for ever.
  client.setTimeout(timeoutMs);
  try {
    switch (transport.type) {
      case 'tcp':
        await client.connectTCP(transport.host, { port: transport.port, timeout: timeoutMs });
        break;
      case 'rtu-over-tcp':
        await client.connectTcpRTUBuffered(transport.host, { port: transport.port });
        break;
      case 'rtu':
        await client.connectRTUBuffered(transport.path, {
          baudRate: transport.baudRate,
          parity: transport.parity,
          dataBits: transport.dataBits,
          stopBits: transport.stopBits,
        });
        break;
    }
  } catch (error) {
    await closeClient(client);
    throw error;
  }
  return client;
}

export function closeClient(client: ModbusClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isOpen) {
      client.destroy(() => resolve());
      return;
    }
    client.close(() => resolve());
  });
}

/**
 * Runs requests strictly one at a time. modbus-serial has no queue of its own, and an RTU line
 * (or most TCP gateways in front of one) cannot interleave transactions.
 */
export class RequestQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(request: () => Promise<T>): Promise<T> {
    const result = this.tail.then(request, request);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export function describeTransport(transport: ModbusTransport): string {
  return transport.type === 'rtu' ? `rtu ${transport.path}@${transport.baudRate}` : `${transport.type} ${transport.host}:${transport.port}`;
}
