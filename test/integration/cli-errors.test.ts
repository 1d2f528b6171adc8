import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { resolve } from 'node:path';
import { DataType } from 'node-opcua';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliGatewayYaml, runCli } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { startOpcuaServer, type OpcuaTestServer } from '../helpers/opcua-server.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

const VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;

/** node-opcua makes a certificate for each server and each browse: slow on a busy machine. */
const OPCUA_TIMEOUT_MS = 60_000;

let dir: TempDir | undefined;
let blocker: Server | undefined;

afterEach(async () => {
  await new Promise<void>((done) => (blocker ? blocker.close(() => done()) : done()));
  blocker = undefined;
  dir?.remove();
  dir = undefined;
});

/** Holds a port on 127.0.0.1, as another program would. */
async function occupiedPort(): Promise<number> {
  const server = createServer();
  blocker = server;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  return (server.address() as AddressInfo).port;
}

const gatewayYaml = (extra: string) => cliGatewayYaml('err-gw', extra);

/** One line naming the code, no stack trace. */
function expectCleanError(stderr: string, code: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^uns-gateway: ${code}: `));
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('start failures end in one error line with a code, exit 1', () => {
  it('run: the simulator Modbus port is already in use', async () => {
    const port = await occupiedPort();
    dir = makeTempDir();
    const config = dir.write('gateway.yaml', gatewayYaml(`store:\n  dataDir: ./data\nsimulator:\n  enabled: true\n  host: 127.0.0.1\n  modbusPort: ${port}\n  opcuaPort: 0\n`));
    const result = await runCli(['run', '--config', config]);
    expect(result.code).toBe(1);
    expectCleanError(result.stderr, 'UNS_ERR_PORT_IN_USE');
    expect(result.stderr).toContain(`simulator Modbus TCP 127.0.0.1:${port} (simulator.modbusPort): port ${port} is already in use`);
  });

  it('simulate: the Modbus port is already in use', async () => {
    const port = await occupiedPort();
    const result = await runCli(['simulate', '--port', String(port), '--opcua-port', '0']);
    expect(result.code).toBe(1);
    expectCleanError(result.stderr, 'UNS_ERR_PORT_IN_USE');
    expect(result.stderr).toContain(`simulator Modbus TCP 127.0.0.1:${port} (--port): port ${port} is already in use`);
  });

  it('simulate: the OPC UA port is already in use (the Modbus server it started is closed again)', async () => {
    const port = await occupiedPort();
    const modbusPort = await freePort();
    const result = await runCli(['simulate', '--port', String(modbusPort), '--opcua-port', String(port)]);
    expect(result.code).toBe(1);
    expectCleanError(result.stderr, 'UNS_ERR_PORT_IN_USE');
    expect(result.stderr).toContain(`simulator OPC UA 127.0.0.1:${port} (--opcua-port): port ${port} is already in use`);
  }, OPCUA_TIMEOUT_MS);

  it('run: store.dataDir names a file', async () => {
    dir = makeTempDir();
    dir.write('data', 'not a folder');
    const config = dir.write('gateway.yaml', gatewayYaml('store:\n  dataDir: ./data\n'));
    const result = await runCli(['run', '--config', config]);
    expect(result.code).toBe(1);
    expectCleanError(result.stderr, 'UNS_ERR_DATA_DIR');
    expect(result.stderr).toContain(`store.dataDir "${dir.path}/data" is a file, not a folder: point store.dataDir at a folder, or move the file away`);
  });
});

describe('bad option values are usage errors, exit 2', () => {
  it.each([
    [['simulate', '--port', 'abc'], '--port "abc" is not a port: expected a whole number from 1 to 65535'],
    [['simulate', '--port', '0'], '--port "0" is not a port: expected a whole number from 1 to 65535'],
    [['simulate', '--opcua-port', '48x'], '--opcua-port "48x" is not a port: expected a whole number from 0 to 65535'],
    [['browse', 'opc.tcp://127.0.0.1:4840', '--depth', 'deep'], '--depth "deep" is not a whole number from 1 to 100'],
    [['browse', 'opc.tcp://127.0.0.1:4840', '--root', 'Objects'], '--root "Objects" is not an OPC UA node id (for example ns=1;s=Plant or i=85)'],
  ])('%j', async (args, message) => {
    const result = await runCli(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(`uns-gateway: UNS_ERR_USAGE: ${message}`);
    expect(result.stderr).toContain('Usage: uns-gateway <command>');
  }, OPCUA_TIMEOUT_MS);
});

describe('uns-gateway browse', () => {
  let pki: TempDir;
  let opcua: OpcuaTestServer;

  beforeAll(async () => {
    pki = makeTempDir();
    opcua = await startOpcuaServer({ pkiDir: pki.path, variables: [{ name: 'Flow', dataType: DataType.Double, value: 1.5 }] });
  }, OPCUA_TIMEOUT_MS);

  afterAll(async () => {
    await opcua?.stop();
    pki?.remove();
  });

  it('an unknown --root node is an error from the server, exit 1, nothing on stdout', async () => {
    const result = await runCli(['browse', opcua.endpoint, '--root', 'ns=1;s=Plant.Nothing']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expectCleanError(result.stderr, 'UNS_ERR_OPCUA_STATUS');
    expect(result.stderr).toContain(`browse ${opcua.endpoint} failed: node ns=1;s=Plant.Nothing: BadNodeIdUnknown`);
  }, OPCUA_TIMEOUT_MS);

  it('a known root still prints its tree', async () => {
    const result = await runCli(['browse', opcua.endpoint, '--root', 'i=85', '--depth', '2']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^▸ 1:Plant  \(ns=1;i=\d+\)\n  • 1:Flow  \(ns=1;s=Plant\.Flow\)$/m);
  }, OPCUA_TIMEOUT_MS);
});

describe('uns-gateway --version', () => {
  it.each([['--version'], ['-V']])('%s prints the package version', async (flag) => {
    const result = await runCli([flag]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${VERSION}\n`);
  });
});
