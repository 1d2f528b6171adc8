import { createServer, type AddressInfo } from 'node:net';

/**
 * A port the OS just handed out for port 0. Only for servers that cannot bind port 0 themselves:
 * modbus-serial's ServerTCP turns port 0 into 502.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
