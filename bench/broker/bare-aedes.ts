/**
 * aedes on its own, as the gateway's broker is built on it: in-memory persistence, one TCP listener on
 * 127.0.0.1:<port>, no access checks, no store, no guards. The gateway's broker cost above this is the
 * gateway's; below it, aedes', node's and the system's.
 *
 *   node --import tsx bench/broker/bare-aedes.ts <port>
 */
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const port = Number(process.argv[2]);
const broker = await Aedes.createBroker();
const server = createServer((socket) => broker.handle(socket));
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => {
  server.close();
  broker.close(() => process.exit(0));
});
