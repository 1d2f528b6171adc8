/** A demo server that could not listen; `errno` is the system's reason, such as EADDRINUSE. */
export class PlantListenError extends Error {
  readonly errno: string | undefined;
  readonly reason: string;

  constructor(
    readonly server: 'modbus' | 'opcua',
    readonly host: string,
    readonly port: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${server} server on ${host}:${port}: ${reason}`, { cause });
    this.name = 'PlantListenError';
    this.errno = (cause as NodeJS.ErrnoException | undefined)?.code;
    this.reason = reason;
  }
}
