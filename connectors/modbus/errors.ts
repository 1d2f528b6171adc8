import { ErrorCodes } from '../../shared/errors.ts';
import { ConnectorError } from '../errors.ts';
import { EncodeError } from './codec.ts';

interface ModbusSerialError {
  message?: string;
  errno?: string;
  code?: string;
  modbusCode?: number;
}

/** What modbus-serial says of a reply it could not parse as the answer to its request. */
const MALFORMED_REPLY = /^(Data length error|CRC error|Unexpected data error)/;

/** Classifies what modbus-serial threw: a timeout, an exception response, or a lost connection. */
export function classify(error: unknown): ConnectorError {
  if (error instanceof ConnectorError) return error;
  if (error instanceof EncodeError) return new ConnectorError(ErrorCodes.WRITE_INVALID, error.message);
  const e = (error ?? {}) as ModbusSerialError;
  if (typeof e.modbusCode === 'number') {
    return new ConnectorError(`${ErrorCodes.MODBUS_EXCEPTION}_${e.modbusCode}`, e.message ?? `Modbus exception ${e.modbusCode}`);
  }
  if (e.errno === 'ETIMEDOUT' || e.message === 'Timed out') {
    return new ConnectorError(ErrorCodes.MODBUS_TIMEOUT, 'no reply within the device timeout');
  }
  if (e.message !== undefined && MALFORMED_REPLY.test(e.message)) {
    return new ConnectorError(
      ErrorCodes.MODBUS_BAD_RESPONSE,
      `the reply is not a valid Modbus response (${e.message}): check that the port serves Modbus, over the transport type configured (tcp or rtu-over-tcp)`,
    );
  }
  return new ConnectorError(ErrorCodes.MODBUS_CONNECTION, e.message ?? e.code ?? String(error));
}

/** The connection is gone, or the byte stream on it can no longer be trusted: reconnect. */
export function isConnectionLost(error: ConnectorError): boolean {
  return error.code === ErrorCodes.MODBUS_CONNECTION || error.code === ErrorCodes.MODBUS_BAD_RESPONSE;
}

/** An exception response is still a valid Modbus answer: the device is there and speaks Modbus. */
export function isModbusAnswer(error: ConnectorError): boolean {
  return error.code.startsWith(`${ErrorCodes.MODBUS_EXCEPTION}_`);
}
