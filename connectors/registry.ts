import type { DeviceConfig } from '../schemas/mapping.ts';
import { modbusProtocol } from './modbus/protocol.ts';
import { opcuaProtocol } from './opcua/protocol.ts';
import type { ProtocolDescriptor } from './protocol.ts';

export type ProtocolName = DeviceConfig['protocol'];

/**
 * Every protocol, by the `protocol:` of its devices. The device union of a mapping file
 * (schemas/mapping.ts) and this list name the same protocols: tsc fails while one lacks the other.
 */
const PROTOCOLS: { readonly [P in ProtocolName]: ProtocolDescriptor<Extract<DeviceConfig, { protocol: P }>> } = {
  modbus: modbusProtocol,
  opcua: opcuaProtocol,
};

export const protocols: readonly ProtocolDescriptor<DeviceConfig>[] = Object.values(PROTOCOLS);

export function protocolOf(name: ProtocolName): ProtocolDescriptor<DeviceConfig> {
  return PROTOCOLS[name];
}
