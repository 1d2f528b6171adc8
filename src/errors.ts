import { ConnectorCodes } from '../connectors/errors.ts';

/** The catalogue of stable error codes. A code never changes meaning once released. */
export const ErrorCodes = {
  ...ConnectorCodes,
  CONFIG_INVALID: 'UNS_ERR_CONFIG_INVALID',
  TOPIC_INVALID: 'UNS_ERR_TOPIC_INVALID',
  PORT_IN_USE: 'UNS_ERR_PORT_IN_USE',
  LISTEN_FAILED: 'UNS_ERR_LISTEN_FAILED',
  USAGE: 'UNS_ERR_USAGE',
  DATA_DIR: 'UNS_ERR_DATA_DIR',
  TLS_FILES: 'UNS_ERR_TLS_FILES',
  PUBLISH_REFUSED: 'UNS_ERR_PUBLISH_REFUSED',
  PUBLISH_DENIED: 'UNS_ERR_PUBLISH_DENIED',
  SUBSCRIBE_DENIED: 'UNS_ERR_SUBSCRIBE_DENIED',
  CLIENT_ID_REJECTED: 'UNS_ERR_CLIENT_ID_REJECTED',
  WILL_REFUSED: 'UNS_ERR_WILL_REFUSED',
  ANONYMOUS_EXPOSED: 'UNS_ERR_ANONYMOUS_EXPOSED',
  PROTOCOL_VIOLATION: 'UNS_ERR_PROTOCOL_VIOLATION',
  PACKET_TOO_LARGE: 'UNS_ERR_PACKET_TOO_LARGE',
  CONNECTION_LIMIT: 'UNS_ERR_CONNECTION_LIMIT',
  CONNECT_TIMEOUT: 'UNS_ERR_CONNECT_TIMEOUT',
  SLOW_SUBSCRIBER: 'UNS_ERR_SLOW_SUBSCRIBER',
  QOS0_DROPPED: 'UNS_ERR_QOS0_DROPPED',
  AUTH_FAILED: 'UNS_ERR_AUTH_FAILED',
  /** A login refused without its password being checked: too many failures from its address, and one still waiting. */
  LOGIN_THROTTLED: 'UNS_ERR_LOGIN_THROTTLED',
  /** A login refused without its password being checked: too many checks are waiting already (CONNACK 3, server unavailable). */
  LOGIN_BUSY: 'UNS_ERR_LOGIN_BUSY',
  /** A TLS connection closed before MQTT: no client certificate where one is required, or one not signed by the listener's ca. */
  CLIENT_CERTIFICATE: 'UNS_ERR_CLIENT_CERTIFICATE',
  /** A verified client certificate that names no configured user, or not the CONNECT username. */
  CERTIFICATE_USER: 'UNS_ERR_CERTIFICATE_USER',
  /** A TLS handshake that failed or timed out. */
  TLS_HANDSHAKE: 'UNS_ERR_TLS_HANDSHAKE',
  SET_PAYLOAD: 'UNS_ERR_SET_PAYLOAD',
  SET_NOT_WRITABLE: 'UNS_ERR_SET_NOT_WRITABLE',
  SET_FORBIDDEN: 'UNS_ERR_SET_FORBIDDEN',
  SET_TYPE: 'UNS_ERR_SET_TYPE',
  SET_RANGE: 'UNS_ERR_SET_RANGE',
  SET_UNKNOWN_TAG: 'UNS_ERR_SET_UNKNOWN_TAG',
  STORE_OPEN: 'UNS_ERR_STORE_OPEN',
  STORE_CORRUPT: 'UNS_ERR_STORE_CORRUPT',
  STORE_READONLY: 'UNS_ERR_STORE_READONLY',
  STORE_WRITE: 'UNS_ERR_STORE_WRITE',
  STORE_OVER_LIMIT: 'UNS_ERR_STORE_OVER_LIMIT',
  RECOVERY_DROPPED: 'UNS_ERR_RECOVERY_DROPPED',
  /** A tag value held when the gateway stopped cleanly: the last value it had, not read since. */
  GATEWAY_STOPPED: 'UNS_ERR_GATEWAY_STOPPED',
  /** A tag value retained from before this start of the gateway, not read again yet. */
  VALUE_STALE: 'UNS_ERR_VALUE_STALE',
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
