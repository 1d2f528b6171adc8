import type { IncomingMessage } from 'node:http';
import type { Sample } from '../../connectors/sdk.ts';
import type { ConsoleInfo } from '../../shared/console-api.ts';
import { principalOf, type Principal } from '../access/principal.ts';
import { listenerAcceptsAnonymous } from '../broker/anonymous.ts';
import type { LoginResult } from '../broker/login-check.ts';
import type { BoundListener } from '../broker/listeners.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { HttpServer, HttpResponse } from '../http/server.ts';
import { packageVersion } from '../version.ts';
import { sessionFor } from './catalog.ts';
import { assetReader, staticAssets } from './static-assets.ts';

export interface ConsoleDeps {
  /** The running configuration (a reload changes it). */
  config: () => LoadedConfig;
  /** The broker's bound listeners, in config order: the page connects to the first WebSocket one. */
  listeners: readonly BoundListener[];
  /** The broker's own login check (the same throttle, the same log). */
  checkLogin: (username: string, password: Uint8Array, remote: string | undefined) => Promise<LoginResult>;
  /** Whether /metrics is served. */
  metrics: boolean;
  /** A tag's latest reading. */
  latest: (tagId: string) => Sample | undefined;
}

const json = (status: number, body: unknown): HttpResponse => ({ status, body: JSON.stringify(body) });

/** The WebSocket listener the page talks MQTT through: the first ws (or wss) one, with its bound port. */
function consoleListener(config: LoadedConfig, listeners: readonly BoundListener[]) {
  const index = config.gateway.broker.listeners.findIndex((listener) => listener.protocol === 'ws' || listener.protocol === 'wss');
  const listener = config.gateway.broker.listeners[index];
  const bound = listeners[index];
  if (listener === undefined || bound === undefined || !('path' in listener)) return undefined;
  return { listener, port: bound.port, path: listener.path, secure: listener.protocol === 'wss' };
}

function basicCredentials(request: IncomingMessage): { username: string; password: string } | undefined {
  const header = request.headers.authorization;
  if (header === undefined || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The web console on the gateway's HTTP listener: the page and what it loads, `GET /api/console` (what
 * to connect to, whether to log in), and `POST /api/session`, which checks the user as the broker would
 * and answers with the tags that user may read, and which of them it may write. The page then talks MQTT
 * over the WebSocket listener as that user: the broker's access rules apply to everything it does.
 */
export function addConsoleRoutes(server: HttpServer, deps: ConsoleDeps): void {
  const read = assetReader();
  const assets = staticAssets();
  // Every module at once, rather than a level of imports per round trip.
  const preloads = [...assets.keys()].filter((url) => /\.m?js$/.test(url)).map((url) => `<link rel="modulepreload" href="${url}" />`).join('\n    ');
  for (const [url, asset] of assets) {
    const body = url === '/' ? () => read(asset).replace(/<!-- modulepreload[^>]*-->/, preloads) : () => read(asset);
    server.route('GET', url, () => ({ status: 200, body: body(), contentType: asset.contentType }));
  }
  server.route('GET', '/api/console', () => {
    const config = deps.config();
    const ws = consoleListener(config, deps.listeners);
    const info: ConsoleInfo = {
      id: config.gateway.id,
      version: packageVersion(),
      ws: ws === undefined ? null : { port: ws.port, path: ws.path, secure: ws.secure },
      login: ws === undefined || !listenerAcceptsAnonymous(ws.listener, config.gateway.access),
      metrics: deps.metrics,
    };
    return json(200, info);
  });
  server.route('POST', '/api/session', async (request) => {
    const config = deps.config();
    const ws = consoleListener(config, deps.listeners);
    const credentials = basicCredentials(request);
    let principal: Principal;
    if (credentials === undefined) {
      if (ws === undefined || !listenerAcceptsAnonymous(ws.listener, config.gateway.access)) return json(401, { message: 'log in: this gateway does not take anonymous clients' });
      principal = principalOf(config.gateway.access, undefined, 'console');
    } else {
      const result = await deps.checkLogin(credentials.username, Buffer.from(credentials.password, 'utf8'), request.socket.remoteAddress);
      if (!result.ok) return json(401, { message: result.error.message });
      principal = principalOf(config.gateway.access, credentials.username, 'console');
    }
    return json(200, sessionFor(config, principal, deps.latest));
  });
}
