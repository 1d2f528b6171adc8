import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';

const gzipped = promisify(gzip);
/** Bodies from this size on go gzipped to a client that takes it. */
const GZIP_FROM_BYTES = 2048;

export interface HttpResponse {
  status: number;
  body: string;
  /** Default: application/json. */
  contentType?: string;
  headers?: Readonly<Record<string, string>>;
}

export type RouteHandler = (request: IncomingMessage) => HttpResponse | Promise<HttpResponse>;

/** Where the listener was configured, for the error that says what to change. */
export interface ListenAt {
  host: string;
  port: number;
  /** The setting that holds the port, as the user writes it. */
  setting: string;
}

/** A JSON answer. */
export const jsonResponse = (status: number, body: unknown): HttpResponse => ({ status, body: `${JSON.stringify(body)}\n` });

function listenError(at: ListenAt, error: NodeJS.ErrnoException): GatewayError {
  const where = `HTTP listener ${at.host}:${at.port} (${at.setting})`;
  const details = { host: at.host, port: at.port };
  if (error.code === 'EADDRINUSE') {
    return new GatewayError(ErrorCodes.PORT_IN_USE, `${where}: port ${at.port} is already in use; stop the other program (another gateway?) or change ${at.setting}`, details);
  }
  return new GatewayError(ErrorCodes.LISTEN_FAILED, `${where}: ${error.message}`, details);
}

/**
 * A small HTTP server (node:http) whose routes are registered by what serves them: the operations
 * endpoints now, a web console later. A path with no route answers 404, a route asked with another method 405.
 */
export class HttpServer {
  private readonly routes = new Map<string, Map<string, RouteHandler>>();
  private readonly server: Server;

  constructor(private readonly log: Logger) {
    this.server = createServer((request, response) => {
      void this.answer(request).then(async ({ status, body, contentType, headers }) => {
        const head = { ...headers, 'content-type': contentType ?? 'application/json', 'cache-control': 'no-store' };
        // A page's catalogue of 10,000 tags is 2 MB of JSON, a tenth of it gzipped: much over a plant network.
        if (body.length >= GZIP_FROM_BYTES && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
          response.writeHead(status, { ...head, 'content-encoding': 'gzip', vary: 'accept-encoding' });
          response.end(await gzipped(body));
          return;
        }
        response.writeHead(status, head);
        response.end(body);
      });
    });
  }

  /** Serves `method path` (the path without its query) with `handler`. */
  route(method: string, path: string, handler: RouteHandler): void {
    let methods = this.routes.get(path);
    if (methods === undefined) {
      methods = new Map();
      this.routes.set(path, methods);
    }
    methods.set(method.toUpperCase(), handler);
  }

  /** Resolves with the bound port once it accepts connections. */
  listen(at: ListenAt): Promise<number> {
    return new Promise((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) => reject(listenError(at, error));
      this.server.once('error', failed);
      this.server.listen(at.port, at.host, () => {
        this.server.off('error', failed);
        this.server.on('error', (error) => this.log.error({ err: error.message }, 'http listener error'));
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Stops accepting, and closes the connections still open (a scraper's keep-alive one). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async answer(request: IncomingMessage): Promise<HttpResponse> {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    const methods = this.routes.get(path);
    if (methods === undefined) return jsonResponse(404, { error: `no ${path} here` });
    const handler = methods.get(request.method ?? 'GET');
    if (handler === undefined) {
      const allow = [...methods.keys()].join(', ');
      return { ...jsonResponse(405, { error: `${path} answers ${allow}` }), headers: { allow } };
    }
    try {
      return await handler(request);
    } catch (error) {
      this.log.error({ path, err: (error as Error).message }, 'http handler failed');
      return jsonResponse(500, { error: (error as Error).message });
    }
  }
}
