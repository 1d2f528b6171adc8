import type { ErrorCode, WireError } from '../shared/errors.ts';

/** An error a connector raises; it crosses the MessagePort as its WireError. */
export class ConnectorError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectorError';
  }

  toWire(): WireError {
    return { code: this.code, message: this.message };
  }
}
