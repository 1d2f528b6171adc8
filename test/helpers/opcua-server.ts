import { join } from 'node:path';
import {
  AccessLevelFlag,
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  standardUnits,
  Variant,
  VariantArrayType,
  type UAVariable,
} from 'node-opcua';

export interface TestVariable {
  name: string;
  dataType: DataType;
  value: unknown;
  array?: boolean;
  /** A matrix of these dimensions: `value` holds its elements in row-major order. */
  dimensions?: number[];
  writable?: boolean;
  /** Make it an AnalogItem with this EngineeringUnits (a standardUnits entry). */
  unit?: keyof typeof standardUnits;
}

export interface OpcuaTestServerOptions {
  pkiDir: string;
  variables: TestVariable[];
  port?: number;
  secure?: boolean;
  /** The server's MaxMonitoredItemsPerCall, MaxNodesPerRead and MaxNodesPerTranslateBrowsePathsToNodeIds (default 1000). */
  maxItemsPerCall?: number;
}

export interface OpcuaTestServer {
  endpoint: string;
  port: number;
  set(name: string, value: unknown): void;
  get(name: string): unknown;
  sessionCount(): number;
  /** The send buffer size each client offered in its Hello, in order of connection. */
  helloSendBufferSizes(): number[];
  /** Nodes in each call of this service the server received so far, in order. */
  callSizes(service: RecordedService): number[];
  stop(): Promise<void>;
}

/** The services whose calls the server records, with the request field that lists the nodes. */
const RECORDED = {
  Read: 'nodesToRead',
  TranslateBrowsePathsToNodeIds: 'browsePaths',
  CreateMonitoredItems: 'itemsToCreate',
} as const;
export type RecordedService = keyof typeof RECORDED;

/**
 * A real node-opcua server for tests, on port 0 (or a given port, to restart on the same one).
 * Variables live under Objects/Plant as ns=1;s=Plant.<name>.
 */
export async function startOpcuaServer(options: OpcuaTestServerOptions): Promise<OpcuaTestServer> {
  const manager = new OPCUACertificateManager({ rootFolder: join(options.pkiDir, 'server'), automaticallyAcceptUnknownCertificate: true });
  const hellos: number[] = [];
  await manager.initialize();
  const server = new OPCUAServer({
    port: options.port ?? 0,
    hostname: '127.0.0.1',
    alternateHostname: '127.0.0.1',
    serverCertificateManager: manager,
    ...(options.secure
      ? {
          securityModes: [MessageSecurityMode.SignAndEncrypt],
          securityPolicies: [SecurityPolicy.Basic256Sha256],
          allowAnonymous: false,
          userManager: { isValidUser: (user: string, password: string) => user === 'operator' && password === 'op-secret' },
        }
      : {}),
    // Accepts the buffer sizes a client offers, as node-opcua's server does up to 512 KB.
    transportSettings: {
      adjustTransportLimits: (hello) => {
        hellos.push(hello.sendBufferSize);
        return { ...hello };
      },
    },
    serverCapabilities: {
      operationLimits: {
        maxMonitoredItemsPerCall: options.maxItemsPerCall ?? 1000,
        maxNodesPerRead: options.maxItemsPerCall ?? 1000,
        maxNodesPerTranslateBrowsePathsToNodeIds: options.maxItemsPerCall ?? 1000,
      },
    },
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const namespace = addressSpace.getOwnNamespace();
  const plant = namespace.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: 'Plant' });
  const variables = new Map<string, { variable: UAVariable; spec: TestVariable }>();
  const variant = (spec: TestVariable, value: unknown) =>
    new Variant({
      dataType: spec.dataType,
      arrayType: spec.dimensions ? VariantArrayType.Matrix : spec.array ? VariantArrayType.Array : VariantArrayType.Scalar,
      value,
      ...(spec.dimensions ? { dimensions: spec.dimensions } : {}),
    });
  for (const spec of options.variables) {
    const options = {
      componentOf: plant,
      browseName: spec.name,
      nodeId: `s=Plant.${spec.name}`,
      dataType: spec.dataType,
      valueRank: spec.dimensions ? spec.dimensions.length : spec.array ? 1 : -1,
      ...(spec.dimensions ? { arrayDimensions: spec.dimensions } : {}),
      minimumSamplingInterval: 10,
      accessLevel: spec.writable ? AccessLevelFlag.CurrentRead | AccessLevelFlag.CurrentWrite : AccessLevelFlag.CurrentRead,
      userAccessLevel: spec.writable ? AccessLevelFlag.CurrentRead | AccessLevelFlag.CurrentWrite : AccessLevelFlag.CurrentRead,
    };
    const variable = spec.unit
      ? namespace.addAnalogDataItem({ ...options, engineeringUnits: standardUnits[spec.unit], engineeringUnitsRange: { low: 0, high: 1000 } })
      : namespace.addVariable(options);
    variable.setValueFromSource(variant(spec, spec.value));
    variables.set(spec.name, { variable, spec });
  }
  const calls = new Map<string, number[]>();
  server.on('request', (request) => {
    const service = request.schema.name.replace(/Request$/, '');
    const field = (RECORDED as Record<string, string>)[service];
    const nodes = field === undefined ? undefined : (request as unknown as Record<string, unknown>)[field];
    if (!Array.isArray(nodes)) return;
    const sizes = calls.get(service) ?? [];
    sizes.push(nodes.length);
    calls.set(service, sizes);
  });
  await server.start();
  const endpoint = server.getEndpointUrl();
  return {
    endpoint,
    port: Number(new URL(endpoint.replace('opc.tcp', 'http')).port),
    set(name, value) {
      const entry = variables.get(name);
      if (!entry) throw new Error(`no variable ${name}`);
      entry.variable.setValueFromSource(variant(entry.spec, value));
    },
    get: (name) => variables.get(name)?.variable.readValue().value.value,
    sessionCount: () => server.engine.currentSessionCount,
    helloSendBufferSizes: () => [...hellos],
    callSizes: (service) => [...(calls.get(service) ?? [])],
    stop: async () => {
      await server.shutdown(0);
      await manager.dispose();
    },
  };
}
