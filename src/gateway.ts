import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { protocolOf } from '../connectors/registry.ts';
import type { DeviceConfig } from '../schemas/mapping.ts';
import type { RunningPlant } from '../connectors/simulator/plant.ts';
import { Principals } from './access/principals.ts';
import { Bridges } from './bridge/bridges.ts';
import { defaultForward, namespaceScopes } from './bridge/namespace-scopes.ts';
import { edgeNodeOf, edgeNodeOwns } from './sparkplug/node-topics.ts';
import { startEdgeNode } from './sparkplug/start-edge-node.ts';
import { admitStoredPublish } from './broker/access.ts';
import { anonymousExposure } from './broker/anonymous.ts';
import { startBroker, type Broker } from './broker/broker.ts';
import { topicNameProblem } from '../schemas/topic-rules.ts';
import type { LoadedConfig } from './config/load.ts';
import { ConnectorHost } from './connector-host/host.ts';
import { ErrorCodes } from '../shared/errors.ts';
import { GatewayError } from './errors.ts';
import type { Logger } from './log.ts';
import { plantStartError } from './plant-errors.ts';
import type { StoredPacket } from './store/packet-codec.ts';
import { openStore, type Store } from './store/store.ts';
import { Northbound } from './northbound/northbound.ts';
import { startOps, type Ops } from './ops/start-ops.ts';
import { NamespacePublisher } from './uns/publisher.ts';
import { SetAdapter } from './uns/set-adapter.ts';
import { markStale } from './uns/stale.ts';
import { StatusPublisher } from './uns/status.ts';
import { TagIndex } from './uns/tag-index.ts';
import { WriteService } from './writes/write-service.ts';
import type { NamespaceTag } from './uns/namespace.ts';
import { applyMapping } from './reload/apply-mapping.ts';
import { configStatusTopic, type ConfigStatus, type ReloadTrigger } from './reload/config-status.ts';
import { Reloader } from './reload/reloader.ts';
import { addConsoleRoutes } from './console/console-routes.ts';

export interface Gateway {
  /** The running configuration: the one started with, or the last one a reload applied. */
  readonly config: LoadedConfig;
  readonly broker: Broker;
  /** The SQLite store; undefined with `store.engine: memory`. */
  readonly store: Store | undefined;
  readonly publisher: NamespacePublisher;
  /** The connectors' events for every northbound consumer, and the latest sample of every tag. */
  readonly northbound: Northbound;
  /** Every write to a PLC goes through it, with the principal writing. */
  readonly writes: WriteService;
  readonly host: ConnectorHost;
  /** The upstream brokers forwarded to; undefined when none is configured. */
  readonly bridges: Bridges | undefined;
  /** The demo plant, when `simulator.enabled`. */
  readonly plant: RunningPlant | undefined;
  /** Loads the configuration again and applies what changed (see Reloader); resolves with the status published. */
  reload(trigger: ReloadTrigger): Promise<ConfigStatus | undefined>;
  /** The operations HTTP listener (/metrics, /healthz, /readyz); undefined with `http.enabled: false`. */
  readonly http: Ops | undefined;
  /**
   * Stops the connectors, marks every held value uncertain (UNS_ERR_GATEWAY_STOPPED) and every device
   * `stopped`, publishes the offline status, then closes the listeners, the broker and the store.
   */
  stop(): Promise<void>;
}

/** Paths in a device config are relative to the data directory; workers get them absolute. */
function withDataPaths(device: DeviceConfig, dataDir: string): DeviceConfig {
  return protocolOf(device.protocol).withDataPaths?.(device, (path) => resolve(dataDir, path)) ?? device;
}

/** Creates the data directory; a file in its place, or no permission, is a GatewayError saying what to do. */
function makeDataDir(dataDir: string): void {
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `store.dataDir "${dataDir}" is ${code === 'EEXIST' ? 'a file' : 'below a file'}, not a folder: point store.dataDir at a folder, or move the file away`
        : `cannot create store.dataDir "${dataDir}": ${(error as Error).message}; point store.dataDir at a folder the gateway may write`;
    throw new GatewayError(ErrorCodes.DATA_DIR, message, { dataDir }, { cause: error });
  }
}

const SIMULATOR_SETTINGS = { host: 'simulator.host', modbus: 'simulator.modbusPort', opcua: 'simulator.opcuaPort' };

/** The demo plant when `simulator.enabled`; loaded only then, since it brings modbus-serial into the main thread. */
async function startSimulator(config: LoadedConfig, log: Logger): Promise<RunningPlant | undefined> {
  const simulator = config.gateway.simulator;
  if (!simulator.enabled) return undefined;
  const { startPlant } = await import('../connectors/simulator/plant.ts');
  return startPlant({
    host: simulator.host,
    modbusPort: simulator.modbusPort,
    ...(simulator.opcuaPort > 0 ? { opcua: { port: simulator.opcuaPort, pkiDir: resolve(config.dataDir, 'pki') } } : {}),
    log: (level, message) => log[level]({ module: 'simulator' }, message),
  });
}

/** How long a stop waits for the held values, then for the offline status, to reach connected clients. */
const FLUSH_TIMEOUT_MS = 1000;

/** The composition root: starts everything in order and stops it in reverse. */
export async function startGateway(config: LoadedConfig, log: Logger): Promise<Gateway> {
  const { gateway: settings } = config;
  makeDataDir(config.dataDir);
  const store = settings.store.engine === 'sqlite' ? openStore(settings.store, config.dataDir, log.child({ module: 'store' })) : undefined;
  const principals = new Principals();
  const index = new TagIndex(config.tags);
  const sparkplugNode = edgeNodeOf(settings);
  let bridges: Bridges | undefined;
  try {
    bridges =
      store && settings.bridges.length > 0
        ? new Bridges({
            bridges: settings.bridges,
            gatewayId: settings.id,
            configDir: config.configDir,
            store,
            log: log.child({ module: 'bridge' }),
            defaultForward: defaultForward(config),
          })
        : undefined;
  } catch (error) {
    await store?.close();
    throw error;
  }
  const policy = {
    ownedByGateway: (topic: string) => index.ownedByGateway(topic) || (sparkplugNode !== undefined && edgeNodeOwns(sparkplugNode.groupId, sparkplugNode.edgeNodeId, topic)),
    isSetCommand: (topic: string) => index.bySetTopic(topic) !== undefined,
    access: settings.access,
  };
  let broker: Broker;
  try {
    broker = await startBroker({
      config: settings.broker,
      configDir: config.configDir,
      id: settings.id,
      policy,
      principals,
      log: log.child({ module: 'broker' }),
      namespaceSize: config.tags.length,
      persistence: store?.persistence,
      durablePublish: store ? (packet, clientId) => store.persistence.recordPublish(packet as StoredPacket, clientId) : undefined,
      counterFloor: store?.persistence.outgoing.maxBrokerCounter(),
      beforeListen: store
        ? async (publish, subscribe) => {
            await bridges?.tap(subscribe);
            await store.recover({ publish, admit: (packet) => admitStoredPublish(packet, policy), retainedTopicProblem: topicNameProblem });
            const stale = await markStale(config.tags, (topic) => store.persistence.retained.get(topic)?.payload, publish);
            if (stale > 0) log.info({ values: stale }, 'values retained from before this start marked stale until read again');
          }
        : undefined,
    });
  } catch (error) {
    await store?.close();
    throw error;
  }
  let plant: RunningPlant | undefined;
  let ops: Ops | undefined;
  try {
    plant = await startSimulator(config, log);
    ops = await startOps(settings.http, { broker, store, bridges }, log.child({ module: 'http' }));
  } catch (error) {
    await plant?.stop();
    await broker.close();
    await store?.close();
    throw plantStartError(error, SIMULATOR_SETTINGS);
  }
  if (plant) log.info({ modbusPort: plant.modbus.port, opcua: plant.opcua?.endpoint }, 'demo plant simulator running');
  for (const exposure of anonymousExposure(settings)) log.warn({ code: ErrorCodes.ANONYMOUS_EXPOSED }, exposure);
  const status = new StatusPublisher(broker, settings.id);
  await status.gateway('online');

  const heartbeatS = (loaded: LoadedConfig) => {
    const devices = new Map(loaded.devices.map((device) => [device.config.name, device.config]));
    return (tag: NamespaceTag) => tag.config.heartbeatS ?? devices.get(tag.device)?.heartbeatS;
  };
  const workerDevices = (loaded: LoadedConfig) => loaded.devices.map((device) => withDataPaths(device.config, loaded.dataDir));
  const publisher = new NamespacePublisher(config.tags, heartbeatS(config), broker, log.child({ module: 'namespace' }));
  for (const tag of config.tags) {
    const retained = store?.persistence.retained.get(tag.topic);
    if (retained && !publisher.seed(tag.id, retained.payload.toString('utf8'))) log.warn({ topic: tag.topic }, 'retained value is not a value payload; ignored');
  }
  const northbound = new Northbound(log.child({ module: 'northbound' }));
  northbound.add(publisher);
  if (ops?.devices) northbound.add(ops.devices);
  northbound.add({ name: 'device status', onStatus: ({ device, ...report }) => void status.device(device, report) });
  const host = new ConnectorHost(
    workerDevices(config),
    {
      samples: (samples) => northbound.onSamples(samples),
      status: (report) => northbound.onStatus(report),
      stats: (reports) => ops?.devices?.onStats(reports),
      knownTagId: (id) => publisher.knownTagId(id),
    },
    log.child({ module: 'connectors' }),
  );
  const writes = new WriteService(host, log.child({ module: 'write' }), ops?.devices);
  const setAdapter = new SetAdapter(index, broker, writes, log.child({ module: 'write' }));
  await setAdapter.start();
  await bridges?.start((topic, payload, options) => broker.publish(topic, payload, options), {
    index,
    scopes: namespaceScopes(config),
    writes,
    access: settings.access,
  });
  const sparkplug = await startEdgeNode(config, { bus: broker, northbound, writes, store, bridges, log: log.child({ module: 'sparkplug' }) });
  host.start();
  const reloader = new Reloader(
    config,
    {
      apply: (next, diff) => applyMapping({ index, publisher, northbound, host, status, setAdapter, sparkplug, heartbeatS, workerDevices }, next, diff),
      publishStatus: (configStatus) => broker.publish(configStatusTopic(settings.id), JSON.stringify(configStatus), { qos: 1, retain: true }),
    },
    log.child({ module: 'reload' }),
  );
  await reloader.start();
  if (ops !== undefined && settings.http.console) {
    addConsoleRoutes(ops.server, { config: () => reloader.config, listeners: broker.listeners, checkLogin: broker.checkLogin, metrics: settings.http.metrics, latest: (tagId) => northbound.latest(tagId) });
  }

  log.info({ id: settings.id, devices: config.devices.length, tags: config.tags.length }, 'gateway online');
  ops?.ready();

  let stopping: Promise<void> | undefined;
  return {
    get config() {
      return reloader.config;
    },
    broker,
    store,
    publisher,
    northbound,
    writes,
    host,
    bridges,
    plant,
    reload: (trigger) => reloader.reload(trigger),
    http: ops,
    stop() {
      stopping ??= (async () => {
        ops?.stopping();
        reloader.stop();
        await host.stop();
        await sparkplug?.stop();
        publisher.stop();
        await publisher.markStopped(FLUSH_TIMEOUT_MS);
        const stoppedAt = Date.now();
        await Promise.all(reloader.config.devices.map((device) => status.device(device.config.name, { state: 'stopped', timestamp: stoppedAt })));
        await status.gateway('offline');
        await bridges?.stop();
        await broker.flush(FLUSH_TIMEOUT_MS);
        await broker.close();
        await store?.close();
        await plant?.stop();
        await ops?.close();
        log.info('gateway stopped');
      })();
      return stopping;
    },
  };
}
