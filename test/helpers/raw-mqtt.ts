import { connect, type Socket } from 'node:net';

/** Encodes an MQTT 3.1.1 CONNECT by hand, to send what MQTT.js would not. */
export function connectPacket(options: { clientId: string; clean: boolean; keepalive: number; will?: { topic: string; payload: string } }): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  let flags = options.clean ? 0x02 : 0x00;
  if (options.will) flags |= 0x04;
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, flags, options.keepalive >> 8, options.keepalive & 0xff])]);
  const payload = [str(options.clientId)];
  if (options.will) payload.push(str(options.will.topic), str(options.will.payload));
  const body = Buffer.concat([variable, ...payload]);
  if (body.length > 127) throw new Error('packet too long for this encoder');
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

export interface RawConnection {
  socket: Socket;
  /** Every byte received so far. */
  received(): Buffer;
  /** Resolves when the broker closes the connection, with the time it took from `since`. */
  closed: Promise<number>;
}

export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const start = Date.now();
    const closed = new Promise<number>((resolveClosed) => socket.once('close', () => resolveClosed(Date.now() - start)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed }));
  });
}
