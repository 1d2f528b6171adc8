import { mkdirSync } from 'node:fs';
import { startBroker, type Broker } from './broker/broker.ts';
import type { LoadedConfig } from './config/load.ts';
import { ErrorCodes } from './errors.ts';
import type { StoredPacket } from './store/packet-codec.ts';
import type { Logger } from './log.ts';
import { openStore, type Store } from './store/store.ts';
import { StatusPublisher } from './uns/status.ts';

export interface Gateway {
  readonly config: LoadedConfig;
  readonly broker: Broker;
  /** The SQLite store; undefined with `store.engine: memory`. */
  readonly store: Store | undefined;
  /** Publishes the offline status, then closes the listeners and the broker. */
  stop(): Promise<void>;
}

/** How long a stop waits for the offline status to reach connected clients. */
const FLUSH_TIMEOUT_MS = 1000;

/** The composition root: starts everything in order and stops it in reverse. */
export async function startGateway(config: LoadedConfig, log: Logger): Promise<Gateway> {
  mkdirSync(config.dataDir, { recursive: true });
  const storeLog = log.child({ module: 'store' });
  const store = config.gateway.store.engine === 'sqlite' ? openStore(config.gateway.store, config.dataDir, storeLog) : undefined;
  let broker: Broker;
  try {
    broker = await startBroker({
      config: config.gateway.broker,
      configDir: config.configDir,
      id: config.gateway.id,
      policy: { gatewayOwnedTopics: new Set(config.tags.map((tag) => tag.topic)) },
      log: log.child({ module: 'broker' }),
      persistence: store?.persistence,
      durablePublish: store ? (packet) => store.persistence.recordPublish(packet as StoredPacket) : undefined,
      beforeListen: store ? async (publish) => void (await store.recover(publish)) : undefined,
    });
  } catch (error) {
    await store?.close();
    throw error;
  }
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
    store,
    stop() {
      stopping ??= (async () => {
        await status.gateway('offline');
        await broker.flush(FLUSH_TIMEOUT_MS);
        await broker.close();
        await store?.close();
        log.info('gateway stopped');
      })();
      return stopping;
    },
  };
}
