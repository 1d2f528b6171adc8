import { ConnectorError } from '../../connectors/errors.ts';
import type { Discovery } from '../../connectors/protocol.ts';
import { protocols } from '../../connectors/registry.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import { UsageError } from './options.ts';

export interface BrowseArgs {
  endpoint: string;
  discovery: Discovery;
  root: string;
  depth: number;
  yaml: boolean;
}

/** The one endpoint `browse` takes, and the discovery of the protocol whose scheme it starts with. */
export function browseTarget(args: readonly string[]): { endpoint: string; discovery: Discovery } {
  const discoveries = protocols.flatMap((protocol) => (protocol.browse ? [protocol.browse] : []));
  const [endpoint] = args;
  const discovery = discoveries.find((candidate) => endpoint?.startsWith(candidate.scheme));
  if (endpoint === undefined || !discovery || args.length > 1) {
    throw new UsageError(`browse takes one ${discoveries.map((candidate) => candidate.scheme).join(' or ')} endpoint`);
  }
  return { endpoint, discovery };
}

/** Prints the address space as a tree, or (with --yaml) a mapping file for its variables; throws a GatewayError on failure. */
export async function browseCommand({ endpoint, discovery, ...request }: BrowseArgs): Promise<number> {
  // Standard output carries the tree or the YAML document only.
  const browser = await discovery.load((level, message) => level === 'warn' && process.stderr.write(`${message}\n`));
  const problem = browser.rootProblem(request.root);
  if (problem !== undefined) throw new UsageError(`--root "${request.root}" ${problem}`);
  let output: string;
  try {
    output = await browser.browse(endpoint, request);
  } catch (error) {
    if (!(error instanceof ConnectorError)) throw error;
    throw new GatewayError(error.code, `browse ${endpoint} failed: ${error.message}`, undefined, { cause: error });
  }
  process.stdout.write(output);
  return 0;
}
