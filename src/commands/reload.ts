import { ConfigError } from '../config/issues.ts';
import { loadConfig } from '../config/load.ts';
import { configStatusTopic } from '../reload/config-status.ts';
import { pidFilePath, readPidFile } from './pid-file.ts';

/**
 * Asks the running gateway of this config to reload it (SIGHUP to the process in its pid file). The
 * config is validated here first, so that a mistake is shown at once. Returns the exit code.
 */
export function reloadCommand(configPath: string): number {
  let config;
  try {
    config = loadConfig(configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`uns-gateway: not reloading, the running configuration stays\n${error.message}\n`);
    return 1;
  }
  const pid = readPidFile(config.dataDir);
  if (pid === undefined) {
    process.stderr.write(`uns-gateway: no running gateway for ${config.file} (no ${pidFilePath(config.dataDir)})\n`);
    return 1;
  }
  try {
    process.kill(pid, 'SIGHUP');
  } catch (error) {
    process.stderr.write(`uns-gateway: cannot signal process ${pid} from ${pidFilePath(config.dataDir)}: ${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`reload requested (process ${pid}); the outcome is logged and retained on ${configStatusTopic(config.gateway.id)}\n`);
  return 0;
}
