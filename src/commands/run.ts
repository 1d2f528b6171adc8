import { ConfigError } from '../config/issues.ts';
import { loadConfig } from '../config/load.ts';
import { isGatewayError } from '../errors.ts';
import { startGateway } from '../gateway.ts';
import { createLogger } from '../log.ts';

/** Runs the gateway until SIGINT, SIGTERM or SIGHUP. Resolves with the exit code. */
export async function runCommand(configPath: string): Promise<number> {
  let config;
  try {
    config = loadConfig(configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`uns-gateway: refusing to start\n${error.message}\n`);
    return 1;
  }
  const log = createLogger(config.gateway.log.level);
  let gateway;
  try {
    gateway = await startGateway(config, log);
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    log.fatal({ code: error.code, details: error.details }, error.message);
    process.stderr.write(`uns-gateway: ${error.code}: ${error.message}\n`);
    return 1;
  }
  const started = gateway;
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'stopping');
      started.stop().then(
        () => resolve(0),
        (error: unknown) => {
          log.error({ err: error }, 'stop failed');
          resolve(1);
        },
      );
    };
    // SIGHUP (the terminal closed, or a service manager's reload) stops cleanly too: no reload here.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
  });
}
