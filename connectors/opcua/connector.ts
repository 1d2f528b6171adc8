import {
  AttributeIds,
  DataType,
  TimestampsToReturn,
  type ClientSession,
  type ClientSubscription,
  type MonitoringParametersOptions,
  type OPCUACertificateManager,
  type OPCUAClient,
} from 'node-opcua';
import type { OpcuaDeviceConfig, OpcuaTagConfig } from '../../schemas/opcua.ts';
import { Backoff } from '../backoff.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { ConnectorError } from '../errors.ts';
import { ReadStats } from '../read-stats.ts';
import { tagId, type Connector, type ConnectorContext, type Sample, type SampleValue, type WriteRequest } from '../sdk.ts';
import { toVariant } from './coerce.ts';
import { certificateManager, createClient, engineeringUnits, inBatches, operationLimits, resolveNodeIds, userIdentity, type OperationLimits } from './session.ts';
import { isUntrusted, untrustedServerError } from './trust.ts';
import { KEEP_ALIVE_COUNT, monitoringParameters, subscriptionRequest } from './subscription-settings.ts';
import { decodeDataValue, sampleOf } from './values.ts';

const WATCHDOG_MS = 1000;

interface Tag {
  id: string;
  config: OpcuaTagConfig;
  nodeId: string | undefined;
  dataType: DataType | undefined;
  /** From the node's EngineeringUnits, when the mapping gives no unit. */
  unit: string | undefined;
}

interface Live {
  client: OPCUAClient;
  session: ClientSession | undefined;
  subscription: ClientSubscription | undefined;
}

/**
 * One OPC UA server: a session with one subscription, monitored items created in batches within the
 * server's limit. Any loss (socket, session, subscription, or silence past the keep-alive) tears the
 * whole connection down, closes the session, and rebuilds it after a backoff.
 */
export class OpcuaConnector implements Connector {
  private readonly tags: Tag[];
  private readonly backoff: Backoff;
  private context: ConnectorContext | undefined;
  private stats: ReadStats | undefined;
  private manager: OPCUACertificateManager | undefined;
  private live: Live | undefined;
  private connecting = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastAlive = 0;
  private badPublished = false;
  /** Changes of one publish response, sent to the gateway as one message. */
  private pending: Sample[] = [];

  constructor(private readonly device: OpcuaDeviceConfig) {
    this.tags = device.tags.map((config) => ({ id: tagId(device.name, config.name), config, nodeId: undefined, dataType: undefined, unit: undefined }));
    this.backoff = new Backoff(device.reconnect.initialMs, device.reconnect.maxMs);
  }

  async start(context: ConnectorContext): Promise<void> {
    this.context = context;
    this.stats = new ReadStats((reports) => context.stats(reports));
    this.manager = await certificateManager(this.device.pkiDir, this.device.autoAcceptServerCertificate);
    this.watchdog = setInterval(() => this.checkAlive(), WATCHDOG_MS);
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.watchdog);
    await this.teardown();
    await this.manager?.dispose();
    this.stats?.stop();
  }

  async write(request: WriteRequest): Promise<{ value: SampleValue; timestamp: number }> {
    const tag = this.tags.find((t) => t.id === request.tagId);
    if (!tag?.config.writable) throw new ConnectorError(ErrorCodes.WRITE_INVALID, `tag ${request.tagId} is not writable`);
    const session = this.live?.session;
    if (!session || !tag.nodeId) throw new ConnectorError(ErrorCodes.OPCUA_CONNECTION, `not connected to ${this.device.endpoint}`);
    if (tag.dataType === undefined) throw new ConnectorError(ErrorCodes.WRITE_INVALID, `the DataType of ${tag.config.nodeId} is unknown`);
    const variant = toVariant(tag.dataType, request.value);
    const status = await session.write({ nodeId: tag.nodeId, attributeId: AttributeIds.Value, value: { value: variant } });
    if (!status.isGood()) {
      throw new ConnectorError(ErrorCodes.OPCUA_STATUS, `the server refused the write: ${status.name} (${status.description})`);
    }
    const started = performance.now();
    const readBack = decodeDataValue(await session.read({ nodeId: tag.nodeId, attributeId: AttributeIds.Value }));
    this.stats?.read(this.device.name, performance.now() - started);
    this.context?.emit([{ tagId: tag.id, ...readBack }]);
    return { value: readBack.value, timestamp: readBack.timestamp };
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.connecting || !this.manager) return;
    this.connecting = true;
    this.report('connecting');
    const client = createClient(this.device, this.manager);
    const live: Live = { client, session: undefined, subscription: undefined };
    this.live = live;
    client.on('connection_lost', () => this.lost(live, new ConnectorError(ErrorCodes.OPCUA_CONNECTION, 'connection lost')));
    client.on('close', () => this.lost(live, new ConnectorError(ErrorCodes.OPCUA_CONNECTION, 'connection closed')));
    try {
      await client.connect(this.device.endpoint);
      live.session = await client.createSession(userIdentity(this.device));
      live.session.on('session_closed', () => this.lost(live, new ConnectorError(ErrorCodes.OPCUA_CONNECTION, 'session closed by the server')));
      await this.subscribe(live, live.session);
      this.connecting = false;
      this.backoff.reset();
      this.badPublished = false;
      this.report('connected');
      this.context?.log('info', 'connected', { endpoint: this.device.endpoint, tags: this.tags.length });
    } catch (error) {
      this.connecting = false;
      const failure = isUntrusted(error)
        ? untrustedServerError(this.device.pkiDir, this.device.endpoint)
        : error instanceof ConnectorError
          ? error
          : new ConnectorError(ErrorCodes.OPCUA_CONNECTION, (error as Error).message);
      this.lost(live, failure);
    }
  }

  private async subscribe(live: Live, session: ClientSession): Promise<void> {
    // A server refuses a call with more operations than its limits (node-opcua's: 10,000 reads or translations).
    const limits = await operationLimits(session);
    const resolved = await resolveNodeIds(session, this.tags.map((tag) => tag.config.nodeId), limits);
    for (const tag of this.tags) tag.nodeId = resolved.get(tag.config.nodeId);
    await this.readDataTypes(session, limits);
    await this.readUnits(session, limits);
    const subscription = await session.createSubscription2(subscriptionRequest(this.device.publishingIntervalMs));
    live.subscription = subscription;
    this.lastAlive = Date.now();
    // Any publish response, data or keep-alive, proves the connection is alive.
    subscription.on('keepalive', () => (this.lastAlive = Date.now()));
    subscription.on('terminated', () => this.lost(live, new ConnectorError(ErrorCodes.OPCUA_CONNECTION, 'subscription terminated')));

    const now = Date.now();
    const missing: Sample[] = this.tags
      .filter((tag) => tag.nodeId === undefined)
      .map((tag) => ({ tagId: tag.id, value: null, quality: 'bad', status: 'BadNoMatch', timestamp: now }));
    if (missing.length > 0) this.context?.emit(missing);

    const serverLimit = limits.monitoredItemsPerCall;
    const batchSize = Math.min(this.device.maxItemsPerCall, serverLimit > 0 ? serverLimit : Number.POSITIVE_INFINITY);
    for (const group of this.parameterGroups()) {
      for (let start = 0; start < group.tags.length; start += batchSize) {
        const batch = group.tags.slice(start, start + batchSize);
        const items = await subscription.monitorItems(
          batch.map((tag) => ({ nodeId: tag.nodeId ?? '', attributeId: AttributeIds.Value })),
          group.parameters,
          TimestampsToReturn.Both,
        );
        items.on('changed', (_item, dataValue, index) => {
          if (this.live !== live) return;
          const tag = batch[index];
          this.stats?.read(this.device.name);
          if (tag) this.queue(sampleOf(tag.id, dataValue, tag.unit));
        });
        // A node that does not exist is that one tag, bad with its status; the device goes on.
        const failed: Sample[] = [];
        items.monitoredItems.forEach((item, index) => {
          const tag = batch[index];
          if (tag && item.statusCode.isNotGood()) failed.push({ tagId: tag.id, value: null, quality: 'bad', status: item.statusCode.name, timestamp: Date.now() });
        });
        if (failed.length > 0) this.context?.emit(failed);
      }
    }
  }

  /** Tags with the same sampling, queue and deadband share monitoring parameters, so they share calls. */
  private parameterGroups() {
    const groups = new Map<string, { tags: Tag[]; parameters: MonitoringParametersOptions }>();
    for (const tag of this.tags) {
      if (tag.nodeId === undefined) continue;
      const samplingInterval = tag.config.samplingIntervalMs ?? this.device.samplingIntervalMs;
      const absolute = tag.config.deadband && 'absolute' in tag.config.deadband ? tag.config.deadband.absolute : 0;
      const key = `${samplingInterval}/${tag.config.queueSize}/${absolute}`;
      let group = groups.get(key);
      if (!group) {
        group = { tags: [], parameters: monitoringParameters(samplingInterval, tag.config.queueSize, absolute) };
        groups.set(key, group);
      }
      group.tags.push(tag);
    }
    return [...groups.values()];
  }

  private async readDataTypes(session: ClientSession, limits: OperationLimits): Promise<void> {
    const writable = this.tags.filter((tag) => tag.config.writable && tag.nodeId !== undefined);
    if (writable.length === 0) return;
    const dataTypes = await inBatches(writable, limits.nodesPerRead, async (batch) =>
      (await session.read(batch.map((tag) => ({ nodeId: tag.nodeId ?? '', attributeId: AttributeIds.DataType })))).map((value) => {
        const id = value.value.value as { namespace?: number; value?: unknown } | undefined;
        return id?.namespace === 0 && typeof id.value === 'number' && id.value <= 25 ? (id.value as DataType) : undefined;
      }),
    );
    writable.forEach((tag, index) => (tag.dataType = dataTypes[index]));
  }

  /** The changes of one publish response come in one turn: one clock reading and one message for them all. */
  private queue(sample: Sample): void {
    if (this.pending.length === 0) {
      this.lastAlive = Date.now();
      setImmediate(() => {
        const samples = this.pending;
        this.pending = [];
        this.context?.emit(samples);
      });
    }
    this.pending.push(sample);
  }

  private async readUnits(session: ClientSession, limits: OperationLimits): Promise<void> {
    const unitless = this.tags.filter((tag) => tag.config.unit === undefined && tag.nodeId !== undefined);
    const units = await engineeringUnits(session, unitless.map((tag) => tag.nodeId ?? ''), limits);
    unitless.forEach((tag, index) => (tag.unit = units[index]));
  }

  private checkAlive(): void {
    const live = this.live;
    if (!live?.subscription || this.connecting) return;
    // The server may revise the publishing interval and keep-alive count: go by what it granted.
    const { publishingInterval, maxKeepAliveCount } = live.subscription;
    const limit = Math.max(3 * (publishingInterval || this.device.publishingIntervalMs) * (maxKeepAliveCount || KEEP_ALIVE_COUNT), 5000);
    if (Date.now() - this.lastAlive > limit) {
      this.lost(live, new ConnectorError(ErrorCodes.OPCUA_CONNECTION, `no notification or keep-alive for ${Math.round(limit / 1000)} s`));
    }
  }

  /** Marks every tag bad (once), reports the error, closes what is left, and schedules a reconnect. */
  private lost(live: Live, error: ConnectorError): void {
    if (this.live !== live || this.stopped) return;
    this.live = undefined;
    this.connecting = false;
    this.stats?.failed(this.device.name, error.code);
    if (!this.badPublished) {
      this.badPublished = true;
      const now = Date.now();
      this.context?.emit(this.tags.map((tag) => ({ tagId: tag.id, value: null, quality: 'bad', status: error.code, timestamp: now })));
    }
    this.report('error', error);
    void this.close(live);
    const delay = this.backoff.next();
    this.context?.log('warn', 'OPC UA connection lost, reconnecting', { endpoint: this.device.endpoint, error: error.message, delayMs: delay });
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private async teardown(): Promise<void> {
    const live = this.live;
    this.live = undefined;
    if (live) await this.close(live);
  }

  /** Closes the session (so the server does not keep it) and the channel, whatever state they are in. */
  private async close(live: Live): Promise<void> {
    live.client.removeAllListeners('connection_lost');
    live.client.removeAllListeners('close');
    const closing = async () => {
      // Closing the session with deleteSubscriptions removes the subscription on the server too.
      await live.session?.close(true).catch(() => undefined);
      await live.client.disconnect().catch(() => undefined);
    };
    let giveUp: NodeJS.Timeout | undefined;
    await Promise.race([closing(), new Promise((resolve) => (giveUp = setTimeout(resolve, 3000)))]);
    // Cleared, or a stopped connector would keep a timer for 3 s.
    clearTimeout(giveUp);
  }

  private report(state: 'connecting' | 'connected' | 'error', error?: ConnectorError): void {
    this.context?.status({ device: this.device.name, state, timestamp: Date.now(), ...(error ? { error: error.toWire() } : {}) });
  }
}
