import { parseArgs } from 'node:util';
import { defaultConfigPath } from './commands/config-path.ts';
import { browseCommand } from './commands/browse.ts';
import { passwdCommand } from './commands/passwd.ts';
import { pkiCommand } from './commands/pki.ts';
import { runCommand } from './commands/run.ts';
import { simulateCommand } from './commands/simulate.ts';
import { validateCommand } from './commands/validate.ts';

const HELP = `Usage: uns-gateway <command> [--config <path>]

Commands:
  run        start the gateway: MQTT broker, connectors, namespace
  validate   check the config and every mapping file, print the topics, start nothing
  simulate   serve the demo pump station over Modbus TCP (127.0.0.1:5020) and OPC UA (port 4840)
  passwd     read a password on standard input, print the hash for access.users[].password
  browse <opc.tcp://host:port> [--root <nodeId>] [--depth N] [--yaml]
             print an OPC UA server's address space, or a mapping file for its variables
  pki list | pki trust <certificate file | thumbprint>
             the OPC UA server certificates the gateway trusts (PKI folders of the config's devices)

Options:
  -c, --config <path>   gateway config (default: config/gateway.yaml)
      --host <address>  simulate: address to bind (default 127.0.0.1)
      --port <port>     simulate: Modbus TCP port (default 5020)
      --opcua-port <p>  simulate: OPC UA port (default 4840, 0 for none)
      --root <nodeId>   browse: where to start (default ns=0;i=85, the Objects folder)
      --depth <n>       browse: levels to follow (default 3)
      --yaml            browse: print a mapping file instead of a tree
  -h, --help            show this help

Exit codes: 0 success, 1 bad config or start failure, 2 bad usage.
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        host: { type: 'string' },
        port: { type: 'string' },
        'opcua-port': { type: 'string' },
        root: { type: 'string' },
        depth: { type: 'string' },
        yaml: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === 'browse' || command === 'pki') {
    const configPath = parsed.values.config ?? defaultConfigPath();
    if (command === 'pki') return pkiCommand(configPath, rest);
    const [endpoint] = rest;
    if (!endpoint?.startsWith('opc.tcp://') || rest.length > 1) {
      process.stderr.write(HELP);
      return 2;
    }
    return browseCommand({ endpoint, root: parsed.values.root ?? 'ns=0;i=85', depth: Number(parsed.values.depth ?? 3), yaml: parsed.values.yaml ?? false });
  }
  if (rest.length > 0 || command === undefined) {
    process.stderr.write(HELP);
    return 2;
  }
  const configPath = parsed.values.config ?? defaultConfigPath();
  switch (command) {
    case 'run':
      return runCommand(configPath);
    case 'validate':
      return validateCommand(configPath);
    case 'simulate':
      return simulateCommand(parsed.values.host ?? '127.0.0.1', Number(parsed.values.port ?? 5020), Number(parsed.values['opcua-port'] ?? 4840));
    case 'passwd':
      return passwdCommand();
    default:
      process.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
