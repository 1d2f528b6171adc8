import { z } from 'zod';
import { topicLevel, topicPath } from './topic-level.ts';

const port = z.number().int().min(0).max(65535).describe('TCP port; 0 picks a free port');
const host = z.string().min(1).default('0.0.0.0').describe('address to bind');
const listenerAnonymous = z
  .boolean()
  .optional()
  .describe('accept clients without a username here (default: only when the listener binds a loopback address)');

const tcpListener = z
  .strictObject({ protocol: z.literal('tcp'), host, port: port.default(1883), allowAnonymous: listenerAnonymous })
  .describe('MQTT over plain TCP');

const tlsFiles = {
  cert: z.string().min(1).describe('PEM certificate file, relative to this config file'),
  key: z.string().min(1).describe('PEM private key file, relative to this config file'),
  ca: z.string().min(1).optional().describe('PEM CA bundle that signs the client certificates this listener accepts'),
  requireCertificate: z
    .boolean()
    .optional()
    .describe('refuse clients without a certificate signed by `ca` (default: true when `ca` is set); false: a certificate is optional, but one that is shown must be signed by `ca`'),
  certificateUsername: z
    .enum(['cn', 'san'])
    .optional()
    .describe('a client certificate signed by `ca` names the user, with no password: cn its subject common name, san one of its DNS, email or URI subject alternative names; a CONNECT username must then be that name'),
};

const tlsListener = z
  .strictObject({ protocol: z.literal('tls'), host, port: port.default(8883), allowAnonymous: listenerAnonymous, ...tlsFiles })
  .describe('MQTT over TLS');

const wsPath = z.string().startsWith('/').default('/mqtt').describe('HTTP path of the WebSocket endpoint');

const wsListener = z
  .strictObject({ protocol: z.literal('ws'), host, port: port.default(9001), path: wsPath, allowAnonymous: listenerAnonymous })
  .describe('MQTT over WebSocket');

const wssListener = z
  .strictObject({ protocol: z.literal('wss'), host, port: port.default(9443), path: wsPath, allowAnonymous: listenerAnonymous, ...tlsFiles })
  .describe('MQTT over secure WebSocket');

export const listenerSchema = z.discriminatedUnion('protocol', [tcpListener, tlsListener, wsListener, wssListener]);

const brokerSchema = z
  .strictObject({
    listeners: z.array(listenerSchema).min(1).default([{ protocol: 'tcp', host: '0.0.0.0', port: 1883 }]),
    maxConnections: z
      .number().int().min(1).optional()
      .describe('open client connections across all listeners; more are closed at once and logged (default: the open-file limit less a reserve, at most 10,000)'),
    connectTimeoutMs: z.number().int().min(100).default(10_000).describe('time a new connection has to send CONNECT before it is closed and logged'),
    maxPacketBytes: z
      .number().int().min(64).max(268_435_455).default(262_144)
      .describe('largest MQTT packet (remaining length) a client may send; a longer one closes the connection before its body is read'),
    maxConnectBytes: z
      .number().int().min(64).max(268_435_455).default(65_536)
      .describe('largest packet before a connection is accepted: the CONNECT (with its will) and anything sent before its CONNACK'),
    slowSubscriber: z
      .strictObject({
        dropQos0Bytes: z
          .number().int().min(1024).default(4_194_304)
          .describe('bytes waiting to be written to one client beyond which its QoS 0 messages are dropped (counted and logged)'),
        dropQos0Messages: z
          .number().int().min(1).default(10_000)
          .describe('messages written to one client since its connection filled up beyond which its QoS 0 messages are dropped'),
        disconnectBytes: z
          .number().int().min(1024).default(16_777_216)
          .describe('bytes waiting to be written to one client beyond which it is disconnected; a persistent session keeps its QoS 1/2 messages'),
        disconnectMessages: z
          .number().int().min(1).default(20_000)
          .describe('messages written to one client since its connection filled up beyond which it is disconnected'),
      })
      .prefault({})
      .describe('a subscriber that reads too slowly costs only itself'),
    drainTimeoutMs: z
      .number().int().min(0).default(10_000)
      .describe('disconnect a client whose socket stays full this long (0 = never)'),
    keepaliveLimitS: z.number().int().min(0).max(65535).default(0).describe('largest keep-alive a client may ask for (0 = any)'),
    maxClientIdLength: z.number().int().min(23).max(65535).default(256),
  })
  .superRefine((broker, ctx) => {
    const seen = new Map<string, number>();
    broker.listeners.forEach((listener, index) => {
      if ('cert' in listener && listener.ca === undefined) {
        for (const key of ['requireCertificate', 'certificateUsername'] as const) {
          if (listener[key] === undefined || listener[key] === false) continue;
          ctx.addIssue({ code: 'custom', path: ['listeners', index, key], message: 'needs `ca`: the CA bundle that signs the client certificates' });
        }
      }
      if (listener.port === 0) return;
      const key = `${listener.host}:${listener.port}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['listeners', index, 'port'],
          message: `listeners[${first}] already binds ${key}`,
        });
      }
      seen.set(key, index);
    });
  });

const STORE_DEFAULTS = {
  dataDir: './data',
  engine: 'sqlite',
  durability: 'full',
  maxQueuedPerClient: 10_000,
  maxSizeMB: 1024,
} as const;

const storeSchema = z.strictObject({
  dataDir: z.string().min(1).default(STORE_DEFAULTS.dataDir).describe('data directory, relative to this config file'),
  engine: z
    .enum(['sqlite', 'memory'])
    .default(STORE_DEFAULTS.engine)
    .describe('sqlite keeps retained values, sessions and queues across restarts; memory keeps nothing'),
  durability: z
    .enum(['full', 'normal'])
    .default(STORE_DEFAULTS.durability)
    .describe('full: an acknowledged message survives a power cut; normal: it survives a crash of the gateway'),
  maxQueuedPerClient: z
    .number().int().min(1).default(STORE_DEFAULTS.maxQueuedPerClient)
    .describe('offline messages kept per persistent session; the oldest are dropped beyond it'),
  maxSizeMB: z
    .number().min(1).default(STORE_DEFAULTS.maxSizeMB)
    .describe('disk space of the database file and its WAL together (within 5%); the oldest queued messages are dropped to stay within it'),
});

const userSchema = z.strictObject({
  username: z.string().min(1),
  password: z
    .string()
    .regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, { message: 'expected a hash from `uns-gateway passwd`, not a password' })
    .optional()
    .describe('scrypt hash made by `uns-gateway passwd`; without one, the user logs in only with a client certificate (broker.listeners[].certificateUsername)'),
  write: z.boolean().default(false).describe('may publish setpoints to <tag>/set'),
});

const accessSchema = z
  .strictObject({
    allowAnonymous: z
      .boolean()
      .default(true)
      .describe('clients may connect without a username, on the listeners that allow it (loopback ones by default); false: nowhere'),
    anonymousWrite: z.boolean().default(false).describe('clients without a username may write setpoints'),
    bindClientIds: z
      .boolean()
      .default(false)
      .describe('a user\'s client id must be its username or start with "<username>-", and no other client may use such an id: no one takes over another user\'s session'),
    users: z.array(userSchema).default([]),
  })
  .superRefine((access, ctx) => {
    const seen = new Set<string>();
    access.users.forEach((user, index) => {
      if (seen.has(user.username)) ctx.addIssue({ code: 'custom', path: ['users', index, 'username'], message: `user "${user.username}" is listed twice` });
      seen.add(user.username);
    });
  });

export const gatewaySchema = z
  .strictObject({
    id: topicLevel.default('uns-gateway').describe('gateway id: the <id> in _gateway/<id>/status'),
    log: z
      .strictObject({ level: z.enum(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info') })
      .default({ level: 'info' }),
    broker: brokerSchema.prefault({}),
    store: storeSchema.default(STORE_DEFAULTS),
    namespace: z
      .strictObject({
        root: topicPath.optional().describe('optional prefix before site, for example "acme" or "acme/uns"'),
        qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1).describe('default QoS of value publishes'),
      })
      .default({ qos: 1 }),
    access: accessSchema.prefault({}),
    simulator: z
      .strictObject({
        enabled: z.boolean().default(false).describe('run the built-in demo plant in the gateway process'),
        host: z.string().min(1).default('127.0.0.1'),
        modbusPort: z.number().int().min(1).max(65535).default(5020),
        opcuaPort: z.number().int().min(0).max(65535).default(4840).describe('0: no OPC UA server'),
      })
      .default({ enabled: false, host: '127.0.0.1', modbusPort: 5020, opcuaPort: 4840 }),
    mappings: z
      .array(z.string().min(1))
      .default([])
      .describe('mapping files to load, relative to this config file; a "*" in the file name matches many'),
  })
  .superRefine((gateway, ctx) => {
    if (gateway.broker.listeners.some((listener) => 'cert' in listener && listener.certificateUsername !== undefined)) return;
    gateway.access.users.forEach((user, index) => {
      if (user.password !== undefined) return;
      ctx.addIssue({
        code: 'custom',
        path: ['access', 'users', index, 'password'],
        message: `user "${user.username}" has no password, and no listener takes users from client certificates (broker.listeners[].certificateUsername): it could never log in`,
      });
    });
  })
  .describe('UNS gateway configuration');

export type GatewayConfig = z.infer<typeof gatewaySchema>;
export type AccessConfig = z.infer<typeof accessSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;
