import { parseArgs } from 'node:util';
import { defaultConfigPath } from './commands/config-path.ts';
import { runCommand } from './commands/run.ts';
import { validateCommand } from './commands/validate.ts';

const HELP = `Usage: uns-gateway <command> [--config <path>]

Commands:
  run        start the gateway: MQTT broker, connectors, namespace
  validate   check the config and every mapping file, print the topics, start nothing

Options:
  -c, --config <path>   gateway config (default: config/gateway.yaml)
  -h, --help            show this help

Exit codes: 0 success, 1 bad config or start failure, 2 bad usage.
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
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
    default:
      process.stderr.write(`unknown command "${command}"\n\n${HELP}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
