import { ConnectorCodes, ConnectorError } from '../errors.ts';
import { EncodeError } from './codec.ts';

interface ModbusSerialError {
  message?: string;
  errno?: string;
  code?: string;
  modbusCode?: number;
}

/** Classifies what modbus-serial threw: a timeout, an exception response, or a lost connection. */
export function classify(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (error instanceof EncodeError) return new ConnectorError(ConnectorCodes.WRITE_INVALID, error.message);
  const e = (error ?? {}) as ModbusSerialError;
  if (typeof e.modbusCode === 'number') {
    return new ConnectorError(`${ConnectorCodes.MODBUS_EXCEPTION}_${e.modbusCode}`, e.message ?? `Modbus exception ${e.modbusCode}`);
  }
  if (e.errno === 'ETIMEDOUT' || e.message === 'Timed out') {
    return new ConnectorError(ConnectorCodes.MODBUS_TIMEOUT, 'no reply within the device timeout');
  }
  return new ConnectorError(ConnectorCodes.MODBUS_CONNECTION, e.message ?? e.code ?? String(error));
}

export function isConnectionLost(error: ConnectorError): boolean {
  return error.code === ConnectorCodes.MODBUS_CONNECTION;
}
