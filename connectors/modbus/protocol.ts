import type { ModbusDeviceConfig, ModbusTagConfig } from '../../schemas/modbus.ts';
import type { ProtocolDescriptor, SetValueRule } from '../protocol.ts';
import { connectionKey } from './connection-key.ts';

function setValue(tag: ModbusTagConfig): SetValueRule {
  switch (tag.dataType) {
    case 'bool':
    case 'bit':
      return { takes: 'boolean' };
    case 'string':
      return { takes: 'string' };
    case 'float32':
    case 'float64':
      return { takes: 'number' };
    default: {
      // A scaled integer register holds fractions in engineering units.
      const whole = tag.scale === 1 && tag.offset === 0;
      return { takes: 'number', ...(whole ? { integer: tag.dataType } : {}), digits: tag.dataType === 'int64' || tag.dataType === 'uint64' };
    }
  }
}

export const modbusProtocol: ProtocolDescriptor<ModbusDeviceConfig> = {
  name: 'modbus',
  label: 'Modbus',
  async createConnector(devices) {
    const { createModbusConnectors } = await import('./connections.ts');
    return createModbusConnectors(devices);
  },
  // A serial line runs in a child process of its own: the serialport addon polls on the process's
  // default loop, so it crashes the process when it is used from a worker thread.
  connection: connectionKey,
  placement: (device) => (device.transport.type === 'rtu' ? { key: `rtu:${device.transport.path}`, isolation: 'process' } : undefined),
  // Polling allocates little and briefly: 30 MB less RSS.
  semiSpaceMb: 1,
  setValue,
};
