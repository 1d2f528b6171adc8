import { z } from 'zod';
import { topicLevel } from './topic-level.ts';
import { topicFilterProblem, topicNameProblem } from './topic-rules.ts';

const BRIDGE_PROTOCOLS = ['mqtt:', 'mqtts:', 'ws:', 'wss:'];

const url = z
  .string()
  .superRefine((value, ctx) => {
    let parsed: URL;
    const notUrl = `"${value}" is not a URL: write mqtt://host:1883, mqtts://host:8883, ws://host/mqtt or wss://host/mqtt`;
    if (!value.includes('://')) {
      ctx.addIssue({ code: 'custom', message: notUrl });
      return;
    }
    try {
      parsed = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: notUrl });
      return;
    }
    if (!BRIDGE_PROTOCOLS.includes(parsed.protocol)) {
      ctx.addIssue({ code: 'custom', message: `protocol "${parsed.protocol}" is not one of mqtt:, mqtts:, ws:, wss:` });
    }
    if (parsed.hostname === '') ctx.addIssue({ code: 'custom', message: `"${value}" names no host` });
    if (parsed.username !== '' || parsed.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'credentials do not go in the URL: use username and password (a { env } or { file } reference)' });
    }
  })
  .describe('the upstream broker: mqtt://host:1883, mqtts://host:8883, ws://host:80/mqtt or wss://host:443/mqtt');

const secretReference = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'an environment variable name' }).describe('read from this environment variable at start') }),
  z.strictObject({ file: z.string().min(1).describe('read from this file (relative to this config file) at start; one trailing newline is ignored') }),
]);

const password = z
  .union([z.string(), secretReference])
  .transform((value, ctx) => {
    if (typeof value !== 'string') return value;
    ctx.addIssue({ code: 'custom', message: 'a password is not written in the config: use { env: VARIABLE } or { file: path/to/file }' });
    return z.NEVER;
  })
  .describe('where the password is: { env: VARIABLE } or { file: path }; never the password itself');

const filter = z.string().superRefine((value, ctx) => {
  const problem = topicFilterProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const prefix = z
  .string()
  .min(1)
  .superRefine((value, ctx) => {
    const problem = topicNameProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => (value.endsWith('/') ? value : `${value}/`))
  .describe('put before every topic on the upstream side, for example "acme/plant-a/" (a "/" is added when missing)');

const tls = z
  .strictObject({
    ca: z.string().min(1).optional().describe('PEM CA bundle the upstream\'s certificate must chain to (default: the system\'s CAs)'),
    cert: z.string().min(1).optional().describe('PEM client certificate, when the upstream asks for one'),
    key: z.string().min(1).optional().describe('PEM private key of `cert`'),
    verifyServer: z
      .boolean()
      .default(true)
      .describe('false: accept any server certificate (logged as a warning at every start); only for a test bench'),
    servername: z.string().min(1).optional().describe('the name the server certificate must hold, when it differs from the URL\'s host'),
  })
  .superRefine((value, ctx) => {
    if ((value.cert === undefined) !== (value.key === undefined)) {
      ctx.addIssue({ code: 'custom', path: [value.cert === undefined ? 'cert' : 'key'], message: 'a client certificate needs both cert and key' });
    }
  })
  .describe('TLS settings for mqtts:// and wss://; files relative to this config file');

const OUTBOX_DEFAULTS = { maxMessages: 1_000_000, maxSizeMB: 128, maxAgeS: 604_800, mode: 'history' } as const;

const outbox = z
  .strictObject({
    maxMessages: z.number().int().min(1).default(OUTBOX_DEFAULTS.maxMessages).describe('messages kept while the upstream is away; beyond it the oldest are dropped (counted and logged)'),
    maxSizeMB: z.number().min(0.001).default(OUTBOX_DEFAULTS.maxSizeMB).describe('bytes kept (topic and payload); beyond it the oldest are dropped'),
    maxAgeS: z.number().min(1).default(OUTBOX_DEFAULTS.maxAgeS).describe('messages older than this are dropped unsent'),
    mode: z
      .enum(['history', 'latest'])
      .default(OUTBOX_DEFAULTS.mode)
      .describe('history: every message, in order; latest: one message per topic waits, its newest (the current state, not the history)'),
  })
  .default(OUTBOX_DEFAULTS)
  .describe('the store-and-forward queue in the SQLite store');

const SEND_DEFAULTS = { maxRate: 2000, inflight: 256 } as const;

const send = z
  .strictObject({
    maxRate: z.number().min(0).default(SEND_DEFAULTS.maxRate).describe('messages per second sent upstream at most, backlog and live alike (0: no limit)'),
    inflight: z.number().int().min(1).max(65535).default(SEND_DEFAULTS.inflight).describe('messages sent and not yet acknowledged, at most'),
  })
  .default(SEND_DEFAULTS);

const downlink = z
  .strictObject({
    enabled: z.boolean().default(false),
    roles: z
      .array(z.string().min(1))
      .default([])
      .describe('roles (access.roles) whose write rights the bridge writes with; with no roles it may write no tag'),
  })
  .default({ enabled: false, roles: [] })
  .describe('setpoints from the upstream: <prefix><tag topic>/set is written to the PLC, answered on <prefix><tag topic>/set/result');

const reconnect = z
  .strictObject({
    minS: z.number().min(0.05).default(1).describe('first wait after a failed connection'),
    maxS: z.number().min(0.05).default(60).describe('longest wait: each failure doubles the wait up to it'),
  })
  .default({ minS: 1, maxS: 60 });

export const bridgeSchema = z
  .strictObject({
    name: topicLevel.describe('names the bridge in logs and in _gateway/<id>/bridges/<name>/status'),
    url,
    clientId: z.string().min(1).max(65535).optional().describe('client id upstream (default: <gateway id>-<name>)'),
    username: z.string().min(1).optional(),
    password: password.optional(),
    tls: tls.optional(),
    forward: z
      .array(filter)
      .min(1)
      .optional()
      .describe('local topic filters whose messages go upstream (default: the whole namespace and _gateway/<id>/#)'),
    prefix: prefix.optional(),
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1).describe('QoS upstream; a message is deleted from the outbox once acknowledged (QoS 0: once written)'),
    keepaliveS: z.number().int().min(0).max(65535).default(30),
    outbox,
    send,
    downlink,
    reconnect,
    statusIntervalS: z.number().min(0.05).default(10).describe('how often the status topic is refreshed while its figures change'),
  })
  .superRefine((bridge, ctx) => {
    if (bridge.password !== undefined && bridge.username === undefined) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'a password needs a username (MQTT 3.1.1)' });
    }
    if (bridge.tls !== undefined && /^(mqtt|ws):/.test(bridge.url)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: `tls settings need an mqtts:// or wss:// URL, not ${bridge.url.split('//')[0]}//` });
    }
    if (bridge.reconnect.maxS < bridge.reconnect.minS) {
      ctx.addIssue({ code: 'custom', path: ['reconnect', 'maxS'], message: 'maxS is below minS' });
    }
  })
  .describe('an upstream broker this gateway forwards to, with store-and-forward');

export const bridgesSchema = z
  .array(bridgeSchema)
  .default([])
  .superRefine(
    (bridges, ctx) => {
      const seen = new Map<string, number>();
      // Runs when another bridge has errors too (`when`), so an item may be any value here.
      (bridges as unknown[]).forEach((bridge, index) => {
        const name = (bridge as { name?: unknown } | null)?.name;
        if (typeof name !== 'string') return;
        const first = seen.get(name);
        if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `bridges[${first}] is already named "${name}"` });
        seen.set(name, index);
      });
    },
    { when: (payload) => Array.isArray(payload.value) },
  )
  .describe('upstream brokers (an enterprise or site broker) this gateway forwards to');

export type BridgeConfig = z.infer<typeof bridgeSchema>;
export type SecretReference = z.infer<typeof secretReference>;
