import { z } from 'zod';
import { bridgesSchema } from './bridge.ts';
import { httpSchema } from './http.ts';
import { reloadSchema } from './reload.ts';
import { sparkplugSchema } from './sparkplug.ts';
import { topicLevel, topicPath } from './topic-level.ts';
import { topicFilterProblem } from './topic-rules.ts';

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

const listenerSchema = z.discriminatedUnion('protocol', [tcpListener, tlsListener, wsListener, wssListener]);

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
          .number().int().min(1).optional()
          .describe('messages written to one client since its connection filled up beyond which its QoS 0 messages are dropped (default: twice the mapped tags, at least 10,000)'),
        disconnectBytes: z
          .number().int().min(1024).default(16_777_216)
          .describe('bytes waiting to be written to one client beyond which it is disconnected; a persistent session keeps its QoS 1/2 messages'),
        disconnectMessages: z
          .number().int().min(1).optional()
          .describe('messages written to one client since its connection filled up beyond which it is disconnected (default: twice the mapped tags, at least 20,000)'),
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

const roleName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, { message: 'a role name uses letters, digits, "_", "." and "-" only' })
  .describe('a key of access.roles');
const roleNames = z
  .union([roleName, z.array(roleName).min(1)])
  .transform((names) => (typeof names === 'string' ? [names] : names))
  .describe('one role or a list; the rights of all of them add up, and a deny in any of them wins');

const rulePattern = z
  .string()
  .superRefine((pattern, ctx) => {
    const problem = topicFilterProblem(pattern.replaceAll(/%[uc]/g, 'x'));
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    if (/%[^uc]|%$/.test(pattern)) ctx.addIssue({ code: 'custom', message: 'only %u (username) and %c (client id) may follow "%"' });
  })
  .describe('a topic filter: "+" one level, "#" the rest; %u is the username, %c the client id');
const ruleList = z
  .union([
    z.array(rulePattern),
    z.strictObject({
      allow: z.array(rulePattern).default([]),
      deny: z.array(rulePattern).default([]).describe('wins over every allow, in any of the user\'s roles'),
    }),
  ])
  .default([])
  .transform((rules) => (Array.isArray(rules) ? { allow: rules, deny: [] } : rules))
  .describe('topic patterns allowed (a list), or { allow: [...], deny: [...] }');

const roleSchema = z
  .strictObject({
    description: z.string().optional(),
    subscribe: ruleList.describe('topic filters the role may subscribe to; a subscription reaching beyond them gets only the allowed topics, one wholly outside them is refused (0x80)'),
    publish: ruleList.describe('topics the role may publish to; other publishes are dropped and logged'),
    write: ruleList.describe('tag topics (site/area/asset/tag) whose setpoints the role may write, by publishing to <tag>/set'),
  })
  .describe('rights given to the users (and anonymous clients) that have this role');

const userSchema = z.strictObject({
  username: z.string().min(1),
  password: z
    .string()
    .regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, { message: 'expected a hash from `uns-gateway passwd`, not a password' })
    .optional()
    .describe('scrypt hash made by `uns-gateway passwd`; without one, the user logs in only with a client certificate (broker.listeners[].certificateUsername)'),
  roles: roleNames
    .optional()
    .describe('the user\'s roles (access.roles); without roles a user may subscribe and publish anywhere, and writes setpoints when write is true'),
  write: z.boolean().default(false).describe('for a user without roles: may write every writable tag\'s setpoint'),
});

const accessSchema = z
  .strictObject({
    allowAnonymous: z
      .boolean()
      .default(true)
      .describe('clients may connect without a username, on the listeners that allow it (loopback ones by default); false: nowhere'),
    anonymousWrite: z.boolean().default(false).describe('clients without a username may write setpoints (when anonymousRoles is not set)'),
    anonymousRoles: roleNames
      .optional()
      .describe('roles of clients without a username; without it they may subscribe and publish anywhere, and write when anonymousWrite is true'),
    bindClientIds: z
      .boolean()
      .default(false)
      .describe('a user\'s client id must be its username or start with "<username>-", and no other client may use such an id: no one takes over another user\'s session'),
    roles: z.record(roleName, roleSchema).default({}).describe('named sets of rights; users and anonymous clients refer to them'),
    users: z.array(userSchema).default([]),
  })
  .superRefine((access, ctx) => {
    const unknownRoles = (names: readonly string[] | undefined, path: (string | number)[]) =>
      names?.forEach((name, index) => {
        if (!Object.hasOwn(access.roles, name)) ctx.addIssue({ code: 'custom', path: [...path, index], message: `no role "${name}" in access.roles` });
      });
    const seen = new Set<string>();
    access.users.forEach((user, index) => {
      if (seen.has(user.username)) ctx.addIssue({ code: 'custom', path: ['users', index, 'username'], message: `user "${user.username}" is listed twice` });
      seen.add(user.username);
      unknownRoles(user.roles, ['users', index, 'roles']);
      if (user.roles && user.write) {
        ctx.addIssue({ code: 'custom', path: ['users', index, 'write'], message: 'a user with roles writes what its roles allow: put the tags in a role\'s write list' });
      }
    });
    unknownRoles(access.anonymousRoles, ['anonymousRoles']);
    if (access.anonymousRoles && access.anonymousWrite) {
      ctx.addIssue({ code: 'custom', path: ['anonymousWrite'], message: 'with anonymousRoles, anonymous clients write what their roles allow: put the tags in a role\'s write list' });
    }
  });

const gatewayObject = z
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
    bridges: bridgesSchema,
    sparkplug: sparkplugSchema,
    reload: reloadSchema,
    http: httpSchema,
  });

export const gatewaySchema = gatewayObject
  .superRefine((gateway, ctx) => {
    bridgeIssues(gateway, ctx);
    sparkplugIssues(gateway, ctx);
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

/** What a bridge needs of the rest of the config: a SQLite store with room for its outbox, and the roles it writes with. */
function bridgeIssues(gateway: z.infer<typeof gatewayObject>, ctx: z.RefinementCtx): void {
  if (gateway.bridges.length === 0) return;
  if (gateway.store.engine !== 'sqlite') {
    ctx.addIssue({ code: 'custom', path: ['store', 'engine'], message: 'a bridge keeps its outbox in the SQLite store: set store.engine: sqlite, or remove the bridges' });
  }
  // A bridge that also carries Sparkplug holds a second outbox, within the same bounds.
  const sparkplugBridges = gateway.sparkplug.enabled ? gateway.sparkplug.bridges : [];
  const outboxMB = gateway.bridges.reduce((sum, bridge) => sum + bridge.outbox.maxSizeMB * (sparkplugBridges.includes(bridge.name) ? 2 : 1), 0);
  if (outboxMB > gateway.store.maxSizeMB / 2) {
    ctx.addIssue({
      code: 'custom',
      path: ['bridges'],
      message: `the bridges' outbox.maxSizeMB add up to ${outboxMB} MB${sparkplugBridges.length > 0 ? ' (twice for a bridge in sparkplug.bridges)' : ''}, more than half of store.maxSizeMB (${gateway.store.maxSizeMB}): raise store.maxSizeMB or lower the outboxes`,
    });
  }
  gateway.bridges.forEach((bridge, index) =>
    bridge.downlink.roles.forEach((role, at) => {
      if (!Object.hasOwn(gateway.access.roles, role)) ctx.addIssue({ code: 'custom', path: ['bridges', index, 'downlink', 'roles', at], message: `no role "${role}" in access.roles` });
    }),
  );
}
export type AccessConfig = z.infer<typeof accessSchema>;
export type RoleConfig = z.infer<typeof roleSchema>;
export type UserConfig = z.infer<typeof userSchema>;
export type StoreConfig = z.infer<typeof storeSchema>;
export type ListenerConfig = z.infer<typeof listenerSchema>;

/** Where Sparkplug publishes: somewhere, on bridges that exist, and with a store to hold data for an absent host. */
function sparkplugIssues(gateway: z.infer<typeof gatewayObject>, ctx: z.RefinementCtx): void {
  const sparkplug = gateway.sparkplug;
  if (!sparkplug.enabled) return;
  if (!sparkplug.embedded && sparkplug.bridges.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['sparkplug', 'embedded'], message: 'sparkplug publishes nowhere: set embedded: true, or name bridges in sparkplug.bridges' });
  }
  sparkplug.bridges.forEach((name, index) => {
    if (!gateway.bridges.some((bridge) => bridge.name === name)) {
      ctx.addIssue({ code: 'custom', path: ['sparkplug', 'bridges', index], message: `no bridge named "${name}" in bridges` });
    } else if (sparkplug.bridges.indexOf(name) !== index) {
      ctx.addIssue({ code: 'custom', path: ['sparkplug', 'bridges', index], message: `bridge "${name}" is listed twice` });
    }
  });
  if (sparkplug.embedded && sparkplug.primaryHostId !== undefined && gateway.store.engine !== 'sqlite') {
    ctx.addIssue({ code: 'custom', path: ['store', 'engine'], message: 'sparkplug.primaryHostId holds data in the SQLite store while the host is away: set store.engine: sqlite' });
  }
}
