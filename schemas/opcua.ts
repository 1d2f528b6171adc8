import { z } from 'zod';
import { checkWriteBounds, deviceBase, tagBase } from './common.ts';

const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
const SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;

/** `ns=3;s=Pump.Speed`, `ns=2;i=1001`, `i=2258`, `ns=1;g=…`, `ns=1;b=…`, or a browse path `/Objects/2:Plant/2:Speed`. */
const NODE_ID_PATTERN = /^(?:(?:ns=\d+;)?(?:i=\d+|s=.+|g=[0-9a-fA-F-]{36}|b=[A-Za-z0-9+/=]+)|(?:\/(?:\d+:)?[^/]+)+)$/;

const nodeId = z
  .string()
  .regex(NODE_ID_PATTERN, { message: 'not a node id: expected ns=<n>;s=<name>, ns=<n>;i=<number>, ns=<n>;g=<guid>, ns=<n>;b=<base64> or a browse path /Objects/2:Name' });

export const opcuaTagSchema = z.strictObject({
  ...tagBase,
  nodeId: nodeId.describe('node id such as ns=3;s=Pump.Speed, or a browse path such as /Objects/2:Pump/2:Speed'),
  samplingIntervalMs: z.number().int().min(0).optional().describe('how often the server samples the value (default: the device\'s)'),
  queueSize: z.number().int().min(1).max(10_000).default(1).describe('changes the server keeps between two publishes'),
});

const identity = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('anonymous') }),
  z.strictObject({ type: z.literal('username'), username: z.string().min(1), password: z.string() }),
  z.strictObject({
    type: z.literal('certificate'),
    certificate: z.string().min(1).describe('PEM certificate file, relative to the data directory'),
    privateKey: z.string().min(1).describe('PEM private key file, relative to the data directory'),
  }),
]);

export const opcuaDeviceSchema = z
  .strictObject({
    ...deviceBase,
    protocol: z.literal('opcua'),
    endpoint: z
      .string()
      .regex(/^opc\.tcp:\/\/[^\s/:]+(?::\d{1,5})?(?:\/\S*)?$/, { message: 'expected opc.tcp://host[:port][/path]' })
      .describe('server endpoint, for example opc.tcp://192.168.1.30:4840'),
    securityMode: z.enum(SECURITY_MODES).default('None'),
    securityPolicy: z.enum(SECURITY_POLICIES).default('None'),
    identity: identity.default({ type: 'anonymous' }),
    pkiDir: z.string().min(1).default('pki/opcua').describe('client certificate and trust lists, relative to the data directory'),
    autoAcceptServerCertificate: z.boolean().default(false).describe('trust any server certificate (testing only)'),
    publishingIntervalMs: z.number().int().min(10).default(1000),
    samplingIntervalMs: z.number().int().min(0).default(500),
    maxItemsPerCall: z.number().int().min(1).default(1000).describe('monitored items per CreateMonitoredItems call; the server\'s own limit wins when lower'),
    sessionTimeoutMs: z.number().int().min(1000).default(60_000),
    reconnect: z
      .strictObject({ initialMs: z.number().int().min(10).default(1000), maxMs: z.number().int().min(10).default(30_000) })
      .default({ initialMs: 1000, maxMs: 30_000 }),
    tags: z.array(opcuaTagSchema),
  })
  .superRefine((device, ctx) => {
    if ((device.securityMode === 'None') !== (device.securityPolicy === 'None')) {
      ctx.addIssue({
        code: 'custom',
        path: ['securityPolicy'],
        message: `securityMode ${device.securityMode} needs ${device.securityMode === 'None' ? 'securityPolicy None' : 'a securityPolicy other than None'}`,
      });
    }
    device.tags.forEach((tag, index) => checkWriteBounds(tag, ['tags', index], ctx));
  });

export type OpcuaDeviceConfig = z.infer<typeof opcuaDeviceSchema>;
export type OpcuaTagConfig = z.infer<typeof opcuaTagSchema>;
