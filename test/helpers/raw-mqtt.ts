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

/** A length-prefixed MQTT string from raw bytes, which need not be UTF-8. */
export function mqttString(text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** The remaining length of a fixed header: 7 bits a byte, low first, the top bit set on all but the last [MQTT-2.2.3]. */
export function encodeRemainingLength(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
}

/** One packet: the first header byte, the remaining length, then `parts`. */
export function rawPacket(header: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([header]), encodeRemainingLength(body.length), body]);
}

/** A two-byte packet identifier. */
export function packetId(id: number): Buffer {
  return Buffer.from([id >> 8, id & 0xff]);
}

export interface RawConnectFields {
  clientId?: string | Buffer;
  will?: { topic: string | Buffer; payload?: string; qos?: number; retain?: boolean };
  username?: string | Buffer;
  /** Given without `username`, the password flag is set alone. */
  password?: string;
}

/** A CONNECT with whatever fields a test needs, valid or not. */
export function rawConnectPacket(fields: RawConnectFields = {}): Buffer {
  let flags = 0x02;
  const payload = [mqttString(fields.clientId ?? '')];
  if (fields.will) {
    flags |= 0x04 | ((fields.will.qos ?? 0) << 3) | (fields.will.retain ? 0x20 : 0);
    payload.push(mqttString(fields.will.topic), mqttString(fields.will.payload ?? 'gone'));
  }
  if (fields.username !== undefined) {
    flags |= 0x80;
    payload.push(mqttString(fields.username));
  }
  if (fields.password !== undefined) {
    flags |= 0x40;
    payload.push(mqttString(fields.password));
  }
  return rawPacket(0x10, mqttString('MQTT'), Buffer.from([4, flags, 0, 60]), ...payload);
}
