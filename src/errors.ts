import { ConnectorCodes } from '../connectors/errors.ts';

/** The catalogue of stable error codes. A code never changes meaning once released. */
export const ErrorCodes = {
  ...ConnectorCodes,
  CONFIG_INVALID: 'UNS_ERR_CONFIG_INVALID',
  TOPIC_INVALID: 'UNS_ERR_TOPIC_INVALID',
  PORT_IN_USE: 'UNS_ERR_PORT_IN_USE',
  LISTEN_FAILED: 'UNS_ERR_LISTEN_FAILED',
  TLS_FILES: 'UNS_ERR_TLS_FILES',
  PUBLISH_REFUSED: 'UNS_ERR_PUBLISH_REFUSED',
  CLIENT_ID_REJECTED: 'UNS_ERR_CLIENT_ID_REJECTED',
  AUTH_FAILED: 'UNS_ERR_AUTH_FAILED',
  SET_PAYLOAD: 'UNS_ERR_SET_PAYLOAD',
  SET_NOT_WRITABLE: 'UNS_ERR_SET_NOT_WRITABLE',
  SET_FORBIDDEN: 'UNS_ERR_SET_FORBIDDEN',
  SET_TYPE: 'UNS_ERR_SET_TYPE',
  SET_RANGE: 'UNS_ERR_SET_RANGE',
  STORE_OPEN: 'UNS_ERR_STORE_OPEN',
  STORE_CORRUPT: 'UNS_ERR_STORE_CORRUPT',
  STORE_READONLY: 'UNS_ERR_STORE_READONLY',
  STORE_WRITE: 'UNS_ERR_STORE_WRITE',
  STORE_OVER_LIMIT: 'UNS_ERR_STORE_OVER_LIMIT',
} as const;

/** A catalogue code; connectors may add a suffix, as in UNS_ERR_MODBUS_EXCEPTION_2. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | (string & {});

/** What crosses a MessagePort or a log line: an Error subclass arrives in a worker as a plain Error. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
  }

  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError;
}
