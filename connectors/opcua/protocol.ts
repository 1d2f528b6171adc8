import type { OpcuaDeviceConfig } from '../../schemas/opcua.ts';
import { CompositeConnector } from '../composite.ts';
import type { ProtocolDescriptor } from '../protocol.ts';
import { tagId } from '../sdk.ts';

export const opcuaProtocol: ProtocolDescriptor<OpcuaDeviceConfig> = {
  name: 'opcua',
  label: 'OPC UA',
  async createConnector(devices, log) {
    // Before node-opcua loads: it prints warnings to the console as it loads.
    const { routeOpcuaLogs } = await import('./logging.ts');
    routeOpcuaLogs(log);
    const { OpcuaConnector } = await import('./connector.ts');
    return new CompositeConnector(
      devices.map((device) => ({ connector: new OpcuaConnector(device), tagIds: new Set(device.tags.map((tag) => tagId(device.name, tag.name))) })),
    );
  },
  // The server filters by the deadband; the connector reads a unit from the server when the tag has none.
  sourceTagKeys: ['deadband', 'unit'],
  // V8's own size. node-opcua's decoded notifications live for tens of milliseconds: at 4 or 8 MB they
  // survived two collections and went through the old generation, which cost this thread and the GC helper
  // threads about twice the CPU per value. It costs RSS under heavy load (bench:opcua, README "Memory" and
  // "Not met yet").
  semiSpaceMb: 16,
  withDataPaths(device, resolve) {
    const identity =
      device.identity.type === 'certificate'
        ? { ...device.identity, certificate: resolve(device.identity.certificate), privateKey: resolve(device.identity.privateKey) }
        : device.identity;
    return { ...device, pkiDir: resolve(device.pkiDir), identity };
  },
  // The node's DataType decides, in the connector.
  setValue: () => ({ takes: 'scalar' }),
  describeTag: (tag) => ({ address: tag.nodeId, dataType: 'the node\'s DataType' }),
  endpoint: (device) => device.endpoint,
  browse: {
    scheme: 'opc.tcp://',
    // The Objects folder.
    defaultRoot: 'ns=0;i=85',
    async load(log) {
      const { routeOpcuaLogs } = await import('./logging.ts');
      routeOpcuaLogs(log);
      return import('./browse.ts');
    },
  },
  pki: {
    dir: (device) => device.pkiDir,
    load: () => import('./pki.ts'),
  },
};
