import type { HttpConfig } from '../../schemas/http.ts';
import type { Logger } from '../log.ts';
import { HttpServer, jsonResponse as json } from '../http/server.ts';
import type { DeviceMetrics } from '../metrics/device-metrics.ts';
import { gatewayMetrics, type MeteredParts } from '../metrics/gateway-metrics.ts';
import { checkHealth } from './health.ts';

/** Where the gateway is in its life, for /readyz. */
type Phase = 'starting' | 'ready' | 'stopping';

/** The operations HTTP endpoints of a running gateway. */
export interface Ops {
  /** The bound port (http.port 0 picks one). */
  readonly port: number;
  /** Where more routes go (a web console). */
  readonly server: HttpServer;
  /** What the connectors' events, read counts and writes feed; undefined with `http.metrics: false`. */
  readonly devices: DeviceMetrics | undefined;
  /** The gateway is started: /readyz answers 200. */
  ready(): void;
  /** The gateway is stopping: /readyz answers 503 until the listener closes. */
  stopping(): void;
  close(): Promise<void>;
}

/**
 * Binds the HTTP listener of `http:` with GET /healthz, /readyz and (with `metrics`) /metrics, once the
 * broker and the store exist; undefined when `http.enabled` is false. /readyz answers 503 until `ready()`.
 */
export async function startOps(config: HttpConfig, parts: MeteredParts, log: Logger): Promise<Ops | undefined> {
  if (!config.enabled) return undefined;
  const server = new HttpServer(log);
  let phase: Phase = 'starting';
  server.route('GET', '/healthz', () => {
    const { ok, checks } = checkHealth(parts.broker, parts.store);
    const failing = Object.entries(checks).flatMap(([part, check]) => (check.ok ? [] : [{ part, reason: check.reason }]));
    return ok ? json(200, { status: 'ok', checks }) : json(503, { status: 'failing', failing, checks });
  });
  server.route('GET', '/readyz', () => json(phase === 'ready' ? 200 : 503, { status: phase }));
  const metrics = config.metrics ? gatewayMetrics(parts) : undefined;
  if (metrics) {
    const { registry } = metrics;
    server.route('GET', '/metrics', async () => ({ status: 200, body: await registry.metrics(), contentType: registry.contentType }));
  }
  const port = await server.listen({ host: config.host, port: config.port, setting: 'http.port' });
  log.info({ host: config.host, port, metrics: config.metrics }, 'http listener ready');
  return {
    port,
    server,
    devices: metrics?.devices,
    ready() {
      phase = 'ready';
    },
    stopping() {
      phase = 'stopping';
    },
    close: () => server.close(),
  };
}
