import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';

/**
 * The stream aedes reads and writes on a WebSocket connection, which sends what is written to it in one turn as one
 * WebSocket message. `ws`'s own stream sends each write as a message, and aedes writes a packet in pieces (a CONNACK
 * in four): the stream holds the pieces after the first until that one is written, then sends them one by one. On
 * wss a refused CONNECT, which aedes closes on the next turn of the event loop, lost the end of its CONNACK.
 * mqtt-packet corks the stream for each packet (and coalesceWrites for each turn), so what the stream holds when it
 * writes is whole packets. Backpressure is the stream's as before: a message's callback is its socket write's.
 */
export function webSocketStream(socket: WebSocket): Duplex {
  const stream = createWebSocketStream(socket);
  // A server's WebSocket is open when it is handed over, so it can be sent to at once, as `ws`'s own _write does.
  stream._writev = (chunks, callback) => socket.send(Buffer.concat(chunks.map(({ chunk }) => chunk as Buffer)), callback);
  return stream;
}
