import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BrowseArgs {
  endpoint: string;
  root: string;
  depth: number;
  yaml: boolean;
}

/** Prints the address space as a tree, or (with --yaml) a mapping file for its variables. */
export async function browseCommand(args: BrowseArgs): Promise<number> {
  const { routeOpcuaLogs } = await import('../../connectors/opcua/logging.ts');
  // Standard output carries the tree or the YAML document only.
  routeOpcuaLogs((level, message) => level === 'warn' && process.stderr.write(`${message}\n`));
  const { browseServer, formatTree, mappingYaml } = await import('../../connectors/opcua/browse.ts');
  // A throwaway client certificate: browsing uses security None and trusts nothing.
  const pkiDir = mkdtempSync(join(tmpdir(), 'uns-browse-'));
  try {
    const nodes = await browseServer(args.endpoint, { root: args.root, depth: args.depth, pkiDir });
    const host = new URL(args.endpoint.replace(/^opc\.tcp:/, 'http:')).hostname;
    process.stdout.write(args.yaml ? mappingYaml(nodes, args.endpoint, `opcua-${host}`) : formatTree(nodes));
    return 0;
  } catch (error) {
    process.stderr.write(`browse ${args.endpoint} failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    rmSync(pkiDir, { recursive: true, force: true });
  }
}
