import type { ModbusDeviceConfig } from '../../schemas/modbus.ts';

/** Devices behind one transport share one connection: units behind a TCP gateway, or on one serial line. */
export function connectionKey(device: ModbusDeviceConfig): string {
  const t = device.transport;
  return t.type === 'rtu' ? `rtu:${t.path}` : `${t.type}:${t.host}:${t.port}`;
}
