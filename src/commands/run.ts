import { ConfigError } from '../config/issues.ts';
import { releaseSemiSpaceFlag } from '../connector-host/heap-limits.ts';
import { loadConfig } from '../config/load.ts';
import { isGatewayError } from '../errors.ts';
import { startGateway } from '../gateway.ts';
import { createLogger } from '../log.ts';
import { writePidFile } from './pid-file.ts';

/**
 * Runs the gateway until SIGINT or SIGTERM; SIGHUP reloads the configuration. The process id is in the
 * data directory meanwhile, for `uns-gateway reload`. Resolves with the exit code.
 */
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
  releaseSemiSpaceFlag();
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
  const removePidFile = writePidFile(config.dataDir);
  const reload = () => {
    log.info({ signal: 'SIGHUP' }, 'reloading the configuration');
    void started.reload('signal');
  };
  process.on('SIGHUP', reload);
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'stopping');
      process.off('SIGHUP', reload);
      started.stop().then(
        () => {
          removePidFile();
          resolve(0);
        },
        (error: unknown) => {
          log.error({ err: error }, 'stop failed');
          removePidFile();
          resolve(1);
        },
      );
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
  });
}
