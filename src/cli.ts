import { parseArgs } from 'node:util';
import { defaultConfigPath } from './commands/config-path.ts';
import { browseCommand, browseTarget } from './commands/browse.ts';
import { passwdCommand } from './commands/passwd.ts';
import { pkiCommand } from './commands/pki.ts';
import { runCommand } from './commands/run.ts';
import { simulateCommand } from './commands/simulate.ts';
import { portOption, UsageError, wholeNumberOption } from './commands/options.ts';
import { reloadCommand } from './commands/reload.ts';
import { validateCommand } from './commands/validate.ts';
import { isGatewayError } from './errors.ts';
import { packageVersion } from './version.ts';

const HELP = `Usage: uns-gateway <command> [--config <path>]

Commands:
  run        start the gateway: MQTT broker, connectors, namespace
  validate   check the config and every mapping file, print the topics, start nothing
  reload     validate the config, then have the running gateway apply it (same as SIGHUP)
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
      --depth <n>       browse: levels to follow, 1 to 100 (default 3)
      --yaml            browse: print a mapping file instead of a tree
  -h, --help            show this help
  -V, --version         print the version

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
        version: { type: 'boolean', short: 'V' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  const [command, ...rest] = parsed.positionals;
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (command === 'browse' || command === 'pki') {
    const configPath = values.config ?? defaultConfigPath();
    if (command === 'pki') return pkiCommand(configPath, rest);
    const { endpoint, discovery } = browseTarget(rest);
    return browseCommand({ endpoint, discovery, root: values.root ?? discovery.defaultRoot, depth: wholeNumberOption('depth', values.depth, 3, 1, 100), yaml: values.yaml ?? false });
  }
  if (command === undefined) {
    process.stderr.write(HELP);
    return 2;
  }
  if (rest.length > 0) throw new UsageError(`${command} takes no arguments, got "${rest.join(' ')}"`);
  const configPath = values.config ?? defaultConfigPath();
  switch (command) {
    case 'run':
      return runCommand(configPath);
    case 'validate':
      return validateCommand(configPath);
    case 'reload':
      return reloadCommand(configPath);
    case 'simulate':
      return simulateCommand({
        host: values.host ?? '127.0.0.1',
        modbusPort: portOption('port', values.port, 5020, 1),
        opcuaPort: portOption('opcua-port', values['opcua-port'], 4840, 0),
      });
    case 'passwd':
      return passwdCommand();
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** Runs a command; a GatewayError it throws becomes one line on standard error (usage errors add the help). */
async function exitCode(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    process.stderr.write(`uns-gateway: ${error.code}: ${error.message}\n`);
    if (!(error instanceof UsageError)) return 1;
    process.stderr.write(`\n${HELP}`);
    return 2;
  }
}

process.exitCode = await exitCode(process.argv.slice(2));
