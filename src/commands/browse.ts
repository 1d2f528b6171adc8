import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorError } from '../../connectors/errors.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import { UsageError } from './options.ts';

export interface BrowseArgs {
  endpoint: string;
  root: string;
  depth: number;
  yaml: boolean;
}

/** `opcua-<host>-<port>`, so that servers on one host get different names; 4840 is the OPC UA default port. */
function deviceName(endpoint: string): string {
  // opc.tcp is not a special scheme to URL: no port is taken for a default and left out.
  const url = new URL(endpoint);
  return `opcua-${url.hostname.replace(/^\[|\]$/g, '')}-${url.port || '4840'}`;
}

/** Prints the address space as a tree, or (with --yaml) a mapping file for its variables; throws a GatewayError on failure. */
export async function browseCommand(args: BrowseArgs): Promise<number> {
  const { routeOpcuaLogs } = await import('../../connectors/opcua/logging.ts');
  // Standard output carries the tree or the YAML document only.
  routeOpcuaLogs((level, message) => level === 'warn' && process.stderr.write(`${message}\n`));
  const { coerceNodeId } = await import('node-opcua');
  try {
    coerceNodeId(args.root);
  } catch {
    throw new UsageError(`--root "${args.root}" is not an OPC UA node id (for example ns=1;s=Plant or i=85)`);
  }
  const { browseServer, formatTree, mappingYaml } = await import('../../connectors/opcua/browse.ts');
  // A throwaway client certificate: browsing uses security None and trusts nothing.
  const pkiDir = mkdtempSync(join(tmpdir(), 'uns-browse-'));
  try {
    const nodes = await browseServer(args.endpoint, { root: args.root, depth: args.depth, pkiDir });
    process.stdout.write(args.yaml ? mappingYaml(nodes, args.endpoint, deviceName(args.endpoint)) : formatTree(nodes));
    return 0;
  } catch (error) {
    // The server's answer carries its own code; anything else failed on the way to a session.
    const code = error instanceof ConnectorError ? error.code : ErrorCodes.OPCUA_CONNECTION;
    throw new GatewayError(code, `browse ${args.endpoint} failed: ${(error as Error).message}`, undefined, { cause: error });
  } finally {
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
