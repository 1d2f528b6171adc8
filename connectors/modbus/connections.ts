import type { ModbusDeviceConfig } from '../../schemas/modbus.ts';
import { CompositeConnector } from '../composite.ts';
import { tagId } from '../sdk.ts';
import { ModbusConnector } from './connector.ts';

/** Devices behind one transport share one connection: units behind a TCP gateway, or on one serial line. */
function connectionKey(device: ModbusDeviceConfig): string {
  const t = device.transport;
  return t.type === 'rtu' ? `rtu:${t.path}` : `${t.type}:${t.host}:${t.port}`;
}

/** One ModbusConnector per connection, all in this worker. */
export function createModbusConnectors(devices: readonly ModbusDeviceConfig[]): CompositeConnector {
  const byConnection = new Map<string, ModbusDeviceConfig[]>();
  for (const device of devices) byConnection.set(connectionKey(device), [...(byConnection.get(connectionKey(device)) ?? []), device]);
  return new CompositeConnector(
    [...byConnection.values()].map((group) => ({
      connector: new ModbusConnector(group),
      tagIds: new Set(group.flatMap((device) => device.tags.map((tag) => tagId(device.name, tag.name)))),
    })),
  );
}
