import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ListenerConfig } from '../../schemas/gateway.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import { certificateRefusal } from './client-certificate.ts';
import type { ConnectionGate } from './connection-limit.ts';
import type { Refusals } from './refusals.ts';
import { webSocketStream } from './websocket-stream.ts';

/** Hands a new connection (a socket or a WebSocket stream) to the broker. */
export type ConnectionHandler = (stream: Duplex, req?: IncomingMessage) => void;

export interface BoundListener {
  protocol: ListenerConfig['protocol'];
  host: string;
  port: number;
  /** Whether it accepts connections. */
  listening(): boolean;
  /** Bytes received and sent on its connections since it was bound, TLS and WebSocket framing included. */
  bytes(): { received: number; sent: number };
  /** Stops accepting and ends every connection still open. */
  close(): Promise<void>;
}

function readTlsFiles(config: Extract<ListenerConfig, { cert: string }>, configDir: string, index: number) {
  const read = (key: 'cert' | 'key' | 'ca', file: string): Buffer => {
    try {
      return readFileSync(resolve(configDir, file));
    } catch (error) {
      throw new GatewayError(
        ErrorCodes.TLS_FILES,
        `broker.listeners[${index}].${key}: cannot read "${file}": ${(error as Error).message}`,
        { listener: index, key, file },
      );
    }
  };
  return {
    cert: read('cert', config.cert),
    key: read('key', config.key),
    // The client certificate is checked once the handshake is done (certificateRefusal), so that a refused
    // one is logged: with rejectUnauthorized, Node closes the socket and says nothing.
    ...(config.ca === undefined ? {} : { ca: read('ca', config.ca), requestCert: true, rejectUnauthorized: false }),
  };
}

/** TCP and TLS servers hand their sockets over from bindListener, once they are admitted; the others on their upgrade. */
function createServerFor(config: ListenerConfig, handle: ConnectionHandler, configDir: string, index: number, handshakeTimeout: number): Server {
  switch (config.protocol) {
    case 'tcp':
      return createTcpServer({ noDelay: true });
    case 'tls':
      return createTlsServer({ ...readTlsFiles(config, configDir, index), handshakeTimeout });
    case 'ws':
    case 'wss': {
      // An upgrade that does not arrive in time is closed, checked every second.
      const timeouts = { headersTimeout: handshakeTimeout, requestTimeout: handshakeTimeout, connectionsCheckingInterval: Math.min(1000, handshakeTimeout) };
      const http: HttpServer =
        config.protocol === 'ws'
          ? createHttpServer(timeouts)
          : createHttpsServer({ ...readTlsFiles(config, configDir, index), ...timeouts, handshakeTimeout });
      const wss = new WebSocketServer({ server: http, path: config.path });
      // The HTTP server's errors reach the listener's own handler; without this one, ws rethrows them.
      wss.on('error', () => undefined);
      wss.on('connection', (socket, req) => handle(webSocketStream(socket), req));
      http.on('close', () => wss.close());
      return http;
    }
  }
}

function listenError(config: ListenerConfig, index: number, error: NodeJS.ErrnoException): GatewayError {
  const where = `${config.protocol} listener ${config.host}:${config.port} (broker.listeners[${index}])`;
  if (error.code === 'EADDRINUSE') {
    return new GatewayError(
      ErrorCodes.PORT_IN_USE,
      `${where}: port ${config.port} is already in use; stop the other program (another MQTT broker?) or change the port`,
      { listener: index, host: config.host, port: config.port },
    );
  }
  return new GatewayError(ErrorCodes.LISTEN_FAILED, `${where}: ${error.message}`, {
    listener: index,
    host: config.host,
    port: config.port,
  });
}

export interface ListenerLimits {
  gate: ConnectionGate;
  /** Time a connection has for its TLS handshake or WebSocket upgrade. */
  handshakeTimeoutMs: number;
  /** Where TLS connections refused before MQTT (failed handshakes, client certificates) are counted and logged. */
  refusals: Refusals;
}

/** Binds one listener; resolves once it accepts connections. */
export async function bindListener(
  config: ListenerConfig,
  index: number,
  handle: ConnectionHandler,
  configDir: string,
  onError: (error: Error) => void,
  limits: ListenerLimits,
): Promise<BoundListener> {
  const server = createServerFor(config, handle, configDir, index, limits.handshakeTimeoutMs);
  const where = `${config.protocol} ${config.host}:${config.port}`;
  // A handshake that fails or times out is only reported: Node leaves the socket open.
  server.on('tlsClientError', (error: Error, socket: Socket) => {
    limits.refusals.note(ErrorCodes.TLS_HANDSHAKE, { remote: socket.remoteAddress, listener: where, err: error.message }, 'TLS handshake failed');
    socket.destroy();
  });
  // On wss the HTTP server has taken the socket already; it is closed before its upgrade request is read.
  server.on('secureConnection', (socket: TLSSocket) => {
    const refusal = certificateRefusal(socket, config);
    if (refusal !== undefined) {
      limits.refusals.note(ErrorCodes.CLIENT_CERTIFICATE, { remote: socket.remoteAddress, listener: where, certificate: refusal.certificate }, `TLS connection refused: ${refusal.reason}`);
      socket.destroy();
    } else if (config.protocol === 'tls') handle(socket);
  });
  const sockets = new Set<Socket>();
  const closed = { received: 0, sent: 0 };
  server.on('connection', (socket: Socket) => {
    if (!limits.gate.admit(socket)) return;
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      closed.received += socket.bytesRead;
      closed.sent += socket.bytesWritten;
    });
    if (config.protocol === 'tcp') handle(socket);
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(config, index, error)));
    server.listen(config.port, config.host, () => resolvePromise());
  });
  // Later errors (EMFILE on accept, …) are logged; they must not crash the gateway.
  server.on('error', onError);
  const address = server.address() as AddressInfo;
  return {
    protocol: config.protocol,
    host: address.address,
    port: address.port,
    listening: () => server.listening,
    bytes() {
      let { received, sent } = closed;
      for (const socket of sockets) {
        received += socket.bytesRead;
        sent += socket.bytesWritten;
      }
      return { received, sent };
    },
    close: () =>
      new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
