import type { ModbusDeviceConfig } from '../../schemas/modbus.ts';
import { CompositeConnector } from '../composite.ts';
import { tagId } from '../sdk.ts';
import { connectionKey } from './connection-key.ts';
import { ModbusConnector } from './connector.ts';

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
