import { ServerTCP } from 'modbus-serial';
import type { RegisterBank } from './registers.ts';

export interface RunningModbusServer {
  port: number;
  /** Open client connections, to check that reconnects leave none behind. */
  connections(): number;
  close(): Promise<void>;
}

/** Serves a register bank over Modbus TCP with modbus-serial's ServerTCP. */
export function serveModbusTcp(bank: RegisterBank, host: string, port: number, unitId?: number): Promise<RunningModbusServer> {
  return new Promise((resolve, reject) => {
    const server = new ServerTCP(bank.vector(), { host, port, ...(unitId === undefined ? {} : { unitID: unitId }) });
    server.once('serverError', reject);
    server.once('initialized', () =>
      resolve({
        port,
        connections: () => server.socks.size,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of server.socks.keys()) socket.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}
