import { mkdirSync } from 'node:fs';
import { startBroker, type Broker } from './broker/broker.ts';
import type { LoadedConfig } from './config/load.ts';
import { ErrorCodes } from './errors.ts';
import type { Logger } from './log.ts';
import { StatusPublisher } from './uns/status.ts';

export interface Gateway {
  readonly config: LoadedConfig;
  readonly broker: Broker;
  /** Publishes the offline status, then closes the listeners and the broker. */
  stop(): Promise<void>;
}

/** How long a stop waits for the offline status to reach connected clients. */
const FLUSH_TIMEOUT_MS = 1000;

/** The composition root: starts everything in order and stops it in reverse. */
export async function startGateway(config: LoadedConfig, log: Logger): Promise<Gateway> {
  mkdirSync(config.dataDir, { recursive: true });
  const broker = await startBroker({
    config: config.gateway.broker,
    configDir: config.configDir,
    id: config.gateway.id,
    policy: { gatewayOwnedTopics: new Set(config.tags.map((tag) => tag.topic)) },
    log: log.child({ module: 'broker' }),
  });
  const status = new StatusPublisher(broker, config.gateway.id);
  await status.gateway('online');

  for (const device of config.devices) {
    const error = {
      code: ErrorCodes.CONNECTOR_UNAVAILABLE,
      message: `no ${device.config.protocol} connector in this version`,
    };
    log.warn({ device: device.config.name, ...error }, 'device not started');
    await status.device(device.config.name, { state: 'error', timestamp: Date.now(), error });
  }
  log.info({ id: config.gateway.id, devices: config.devices.length, tags: config.tags.length }, 'gateway online');

  let stopping: Promise<void> | undefined;
  return {
    config,
    broker,
    stop() {
      stopping ??= (async () => {
        await status.gateway('offline');
        await broker.flush(FLUSH_TIMEOUT_MS);
        await broker.close();
        log.info('gateway stopped');
      })();
      return stopping;
    },
  };
}
