import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a Modbus TCP server that counts the requests passing through, by
 * function code, from their MBAP headers (7 bytes; the length field counts from the unit id on).
 */
export class ModbusFrameCounter {
  readonly byFunction = new Map<number, number>();
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      let pending = Buffer.alloc(0);
      client.on('data', (chunk) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 8) {
          const size = 6 + pending.readUInt16BE(4);
          if (pending.length < size) break;
          const fc = pending[7] ?? 0;
          this.byFunction.set(fc, (this.byFunction.get(fc) ?? 0) + 1);
          pending = pending.subarray(size);
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(chunk));
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
  }

  total(): number {
    return [...this.byFunction.values()].reduce((a, b) => a + b, 0);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
