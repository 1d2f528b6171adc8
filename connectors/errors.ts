/** Status codes connectors put on bad samples and failed writes (part of the UNS_ERR_* catalogue). */
export const ConnectorCodes = {
  MODBUS_TIMEOUT: 'UNS_ERR_MODBUS_TIMEOUT',
  MODBUS_EXCEPTION: 'UNS_ERR_MODBUS_EXCEPTION',
  MODBUS_CONNECTION: 'UNS_ERR_MODBUS_CONNECTION',
  MODBUS_NO_ANSWER: 'UNS_ERR_MODBUS_NO_ANSWER',
  MODBUS_BAD_RESPONSE: 'UNS_ERR_MODBUS_BAD_RESPONSE',
  OPCUA_CONNECTION: 'UNS_ERR_OPCUA_CONNECTION',
  OPCUA_UNTRUSTED_SERVER: 'UNS_ERR_OPCUA_UNTRUSTED_SERVER',
  OPCUA_STATUS: 'UNS_ERR_OPCUA_STATUS',
  VALUE_NOT_FINITE: 'UNS_ERR_VALUE_NOT_FINITE',
  WRITE_INVALID: 'UNS_ERR_WRITE_INVALID',
  WRITE_FAILED: 'UNS_ERR_WRITE_FAILED',
  WORKER_CRASHED: 'UNS_ERR_WORKER_CRASHED',
} as const;

export type ConnectorCode = (typeof ConnectorCodes)[keyof typeof ConnectorCodes];

/** An error as it crosses a MessagePort: an Error subclass would arrive as a plain Error. */
export interface WireError {
  code: string;
  message: string;
}

export class ConnectorError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }

  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}
