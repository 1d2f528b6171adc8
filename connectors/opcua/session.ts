import { readFileSync } from 'node:fs';
import {
  AttributeIds,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  makeBrowsePath,
  type BrowsePathResult,
  type ClientSession,
  type UserIdentityInfo,
} from 'node-opcua';
import type { OpcuaDeviceConfig } from '../../schemas/opcua.ts';

/** One certificate manager per PKI folder, never node-opcua's default shared one in the home folder. */
export async function certificateManager(pkiDir: string, autoAccept: boolean): Promise<OPCUACertificateManager> {
  const manager = new OPCUACertificateManager({ rootFolder: pkiDir, automaticallyAcceptUnknownCertificate: autoAccept });
  await manager.initialize();
  return manager;
}

/**
 * The largest chunk the client offers to send, the common server default. node-opcua allocates one whole
 * chunk of the negotiated size for every request, a 100-byte Publish included, and by default offers
 * 640 KB (a node-opcua server takes up to 512 KB): some 50 MB/s of buffers at 100 publishes a second, for
 * which V8 ran a full collection about every second (bench:opcua, README "Memory"). A larger request goes
 * in several chunks.
 */
export const CLIENT_TRANSPORT = Object.freeze({ sendBufferSize: 64 * 1024 });

export function createClient(device: OpcuaDeviceConfig, manager: OPCUACertificateManager): OPCUAClient {
  return OPCUAClient.create({
    applicationName: 'uns-gateway',
    endpointMustExist: false,
    securityMode: MessageSecurityMode[device.securityMode],
    securityPolicy: SecurityPolicy[device.securityPolicy],
    clientCertificateManager: manager,
    // The connector reconnects by itself, on a fresh session, so nothing is left half-restored.
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    keepSessionAlive: false,
    requestedSessionTimeout: device.sessionTimeoutMs,
    transportSettings: CLIENT_TRANSPORT,
  });
}

export function userIdentity(device: OpcuaDeviceConfig): UserIdentityInfo {
  const identity = device.identity;
  switch (identity.type) {
    case 'anonymous':
      return { type: UserTokenType.Anonymous };
    case 'username':
      return { type: UserTokenType.UserName, userName: identity.username, password: identity.password };
    case 'certificate':
      return {
        type: UserTokenType.Certificate,
        certificateData: readFileSync(identity.certificate),
        privateKey: readFileSync(identity.privateKey, 'utf8'),
      } as UserIdentityInfo;
  }
}

/** The server's OperationLimits that the connector's calls must keep to; 0 where the server sets none. */
export interface OperationLimits {
  nodesPerRead: number;
  nodesPerTranslate: number;
  monitoredItemsPerCall: number;
}

/** MaxNodesPerRead, MaxNodesPerTranslateBrowsePathsToNodeIds, MaxMonitoredItemsPerCall [OPC 10000-5 6.3.11]. */
const LIMIT_NODES = ['ns=0;i=11705', 'ns=0;i=11712', 'ns=0;i=11714'];

export async function operationLimits(session: ClientSession): Promise<OperationLimits> {
  const values = await session.read(LIMIT_NODES.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  const at = (index: number): number => {
    const value = values[index];
    return value?.statusCode.isGood() ? Number(value.value.value ?? 0) : 0;
  };
  return { nodesPerRead: at(0), nodesPerTranslate: at(1), monitoredItemsPerCall: at(2) };
}

/**
 * At most this many nodes in one setup call (read, translate), even where the server allows more. When
 * most of what a literal in node-opcua's decoders allocates outlives a young-generation collection, V8
 * allocates from it in the old generation from then on (allocation-site pretenuring). A 10,000-node
 * response, or decoded results kept across calls, did that at startup, and every notification decoded
 * later went through the old generation: twice the connector thread's CPU per value (bench:opcua).
 */
const SETUP_BATCH = 1000;

/**
 * `call` on consecutive slices of at most `limit` items (0: no limit) and SETUP_BATCH, its results
 * concatenated in order. `call` returns plain values, so nothing decoded outlives its own slice.
 */
export async function inBatches<T, R>(items: readonly T[], limit: number, call: (batch: T[]) => Promise<R[]>): Promise<R[]> {
  const size = limit > 0 ? Math.min(limit, SETUP_BATCH) : SETUP_BATCH;
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await call(items.slice(start, start + size))));
  return results;
}

/** Turns browse paths (`/Objects/2:Pump/2:Speed`) into node ids; others pass through. Unresolved ones map to undefined. */
export async function resolveNodeIds(session: ClientSession, nodeIds: readonly string[], limits: OperationLimits): Promise<Map<string, string | undefined>> {
  const resolved = new Map<string, string | undefined>();
  const paths = nodeIds.filter((id) => id.startsWith('/'));
  for (const id of nodeIds) if (!id.startsWith('/')) resolved.set(id, id);
  if (paths.length === 0) return resolved;
  const targets = await inBatches(paths, limits.nodesPerTranslate, async (batch) =>
    targetsOf(
      await session.translateBrowsePath(
        batch.map((path) => {
          const [, first, ...rest] = path.split('/');
          const root = first === 'Objects' ? 'ObjectsFolder' : first === 'Root' ? 'RootFolder' : (first ?? 'ObjectsFolder');
          return makeBrowsePath(root, rest.map((part) => `/${part}`).join(''));
        }),
      ),
    ),
  );
  paths.forEach((path, index) => resolved.set(path, targets[index]));
  return resolved;
}

/** The node id each browse path leads to, where it resolved. */
function targetsOf(results: BrowsePathResult[]): Array<string | undefined> {
  return results.map((result) => (result.statusCode.isGood() ? result.targets?.[0]?.targetId.toString() : undefined));
}

/** The display name of each node's EngineeringUnits property (EUInformation), where it has one. */
export async function engineeringUnits(session: ClientSession, nodeIds: readonly string[], limits: OperationLimits): Promise<Array<string | undefined>> {
  if (nodeIds.length === 0) return [];
  const targets = await inBatches(nodeIds, limits.nodesPerTranslate, async (batch) =>
    targetsOf(await session.translateBrowsePath(batch.map((nodeId) => makeBrowsePath(nodeId, '.EngineeringUnits')))),
  );
  const found = targets.flatMap((target, index) => (target ? [{ index, target }] : []));
  const units: Array<string | undefined> = nodeIds.map(() => undefined);
  if (found.length === 0) return units;
  const names = await inBatches(found, limits.nodesPerRead, async (batch) =>
    (await session.read(batch.map(({ target }) => ({ nodeId: target, attributeId: AttributeIds.Value })))).map((value) => {
      const information = value.value.value as { displayName?: { text?: string | null } } | null | undefined;
      return information?.displayName?.text ?? undefined;
    }),
  );
  found.forEach(({ index }, i) => (units[index] = names[i]));
  return units;
}
