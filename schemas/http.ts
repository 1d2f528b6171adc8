import { z } from 'zod';

const HTTP_DEFAULTS = { enabled: true, host: '127.0.0.1', port: 9180, metrics: true, console: true } as const;

/** The HTTP listener: Prometheus metrics, the health and readiness probes, and the web console. */
export const httpSchema = z
  .strictObject({
    enabled: z.boolean().default(HTTP_DEFAULTS.enabled).describe('serve /healthz, /readyz and (with metrics) /metrics over HTTP; false: no HTTP listener'),
    host: z
      .string()
      .min(1)
      .default(HTTP_DEFAULTS.host)
      .describe('address to bind; the default is loopback only: bind 0.0.0.0 (or one interface) for a Prometheus server on another machine'),
    port: z.number().int().min(0).max(65535).default(HTTP_DEFAULTS.port).describe('TCP port; 0 picks a free port (logged with "http listener ready")'),
    metrics: z.boolean().default(HTTP_DEFAULTS.metrics).describe('serve /metrics in the Prometheus text format; false: only the health and readiness probes'),
    console: z
      .boolean()
      .default(HTTP_DEFAULTS.console)
      .describe('serve the web console at / (the live namespace, devices, setpoints): it talks MQTT to the first ws/wss listener as the user who logs in'),
  })
  .prefault({})
  .describe('HTTP endpoints: GET /metrics (Prometheus), /healthz, /readyz, and the web console at /');

export type HttpConfig = z.infer<typeof httpSchema>;
