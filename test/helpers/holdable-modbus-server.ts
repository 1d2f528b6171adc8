import { ServerTCP } from 'modbus-serial';
import type { Socket } from 'node:net';
import type { RegisterBank } from '../../connectors/simulator/registers.ts';

export interface RegisterRead {
  table: 'holding' | 'input' | 'coil' | 'discrete';
  address: number;
}

/**
 * A modbus-serial ServerTCP over a register bank whose answers the test can hold (a frozen device:
 * requests arrive, no reply leaves) and release. Every register or bit read is logged in order.
 */
export class HoldableModbusServer {
  readonly reads: RegisterRead[] = [];
  private holding = false;
  private holdWhen: (read: RegisterRead, previous: RegisterRead | undefined) => boolean = () => false;
  private held: Array<() => void> = [];
  private server: ServerTCP | undefined;

  constructor(
    private readonly bank: RegisterBank,
    readonly port: number,
  ) {}

  start(): Promise<void> {
    const read = <T>(table: RegisterRead['table'], get: (address: number) => T) => (address: number): T | Promise<T> => this.answer({ table, address }, () => get(address));
    const base = this.bank.vector();
    const server = new ServerTCP(
      {
        getHoldingRegister: read('holding', base.getHoldingRegister),
        getInputRegister: read('input', base.getInputRegister),
        getCoil: read('coil', base.getCoil),
        getDiscreteInput: read('discrete', base.getDiscreteInput),
        setRegister: base.setRegister,
        setCoil: base.setCoil,
      },
      { host: '127.0.0.1', port: this.port },
    );
    this.server = server;
    // A held answer released after the client hung up is written to a closed socket.
    server.on('socketError', () => undefined);
    return new Promise((resolve, reject) => {
      server.once('serverError', reject);
      server.once('initialized', () => resolve());
    });
  }

  /** Starts holding at the first read for which `when` (asked before each read) is true, once. */
  holdFrom(when: (read: RegisterRead, previous: RegisterRead | undefined) => boolean): void {
    this.holdWhen = when;
  }

  /** Client connections open now. */
  sockets(): Socket[] {
    return [...(this.server?.socks.keys() ?? [])];
  }

  /** Answers again, the held reads first (with the bank's values now). */
  release(): void {
    this.holding = false;
    const held = this.held;
    this.held = [];
    for (const answer of held) answer();
  }

  close(): Promise<void> {
    this.release();
    const server = this.server;
    if (!server) return Promise.resolve();
    for (const socket of server.socks.keys()) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private answer<T>(read: RegisterRead, get: () => T): T | Promise<T> {
    if (!this.holding && this.holdWhen(read, this.reads.at(-1))) {
      this.holding = true;
      this.holdWhen = () => false;
    }
    this.reads.push(read);
    if (!this.holding) return get();
    return new Promise((resolve) => this.held.push(() => resolve(get())));
  }
}
