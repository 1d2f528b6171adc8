import ModbusRTU from 'modbus-serial';
import type { NodeStyleCallback } from 'modbus-serial/ModbusRTU.js';
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

/** A callback that drops its target once called, so that whoever keeps the callback keeps nothing else. */
function releasing<T>(target: NodeStyleCallback<T>): NodeStyleCallback<T> {
  let once: NodeStyleCallback<T> | undefined = target;
  return (error, data) => {
    const settle = once;
    once = undefined;
    settle?.(error, data);
  };
}

/**
 * One request through modbus-serial's callback API. modbus-serial keeps the callback of each of a
 * connection's last 256 transactions. Its promise API's callback holds the promise, and so the result
 * of every read (3.3 MB with 10 devices of 1,000 registers); this one lets go of both once called.
 */
export function call<T>(start: (callback: NodeStyleCallback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => start(releasing((error, data) => (error ? reject(error) : resolve(data)))));
}
