import { afterAll, beforeAll } from 'vitest';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './gateway.ts';
import { ClientPool } from './mqtt.ts';
import { startOpcuaServer, type OpcuaTestServer, type OpcuaTestServerOptions } from './opcua-server.ts';
import { makeTempDir, type TempDir } from './temp-dir.ts';

/** A test file's OPC UA server and the gateway that maps it, with the MQTT clients its tests connect. */
export interface OpcuaGateway {
  readonly dir: TempDir;
  /** A test may replace it (a server restart): the file's end stops the one in place then. */
  server: OpcuaTestServer;
  readonly gw: TestGateway;
  readonly pool: ClientPool;
}

/**
 * Starts a temporary directory, an OPC UA server and a gateway before the file's tests, and stops the
 * pool's clients, the gateway and the server and removes the directory after them. The options are built
 * once the directory, then the server, exist (its endpoint goes into the mapping).
 */
export function useOpcuaGateway(serverOptions: (dir: TempDir) => OpcuaTestServerOptions, gatewayOptions: (server: OpcuaTestServer) => TestGatewayOptions): OpcuaGateway {
  const started: { dir?: TempDir; server?: OpcuaTestServer; gw?: TestGateway } = {};
  const pool = new ClientPool();
  beforeAll(async () => {
    started.dir = makeTempDir();
    started.server = await startOpcuaServer(serverOptions(started.dir));
    started.gw = await startTestGateway(gatewayOptions(started.server));
  }, 60_000);
  afterAll(async () => {
    await pool.endAll();
    await started.gw?.stop();
    await started.server?.stop();
    started.dir?.remove();
  });
  const unstarted = (): never => {
    throw new Error('the OPC UA gateway fixture is used before its beforeAll ran');
  };
  return {
    get dir() {
      return started.dir ?? unstarted();
    },
    get server() {
      return started.server ?? unstarted();
    },
    set server(server: OpcuaTestServer) {
      started.server = server;
    },
    get gw() {
      return started.gw ?? unstarted();
    },
    pool,
  };
}
