import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Aedes, type AedesOptions, type AedesPublishPacket, type Client, type PublishPacket } from 'aedes';
import type { GatewayConfig, ListenerConfig } from '../../schemas/gateway.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { isGatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { InboundMessage, MessageBus } from '../uns/message-bus.ts';
import type { Principal } from '../access/principal.ts';
import type { Principals } from '../access/principals.ts';
import type { LoginCheck } from './login-check.ts';
import { createAccess, remoteAddress, type AccessPolicy, type DurablePublish } from './access.ts';
import { coalesceWrites } from './coalesce.ts';
import { dedupeOnlyRepeats } from './delivery-dedupe.ts';
import { ConnectionGate, defaultMaxConnections } from './connection-limit.ts';
import { bindListener, type BoundListener } from './listeners.ts';
import { memoryPersistence } from './memory-persistence.ts';
import { guardClient } from './packet-guard.ts';
import { cacheTopicMatches } from './match-cache.ts';
import { readHotPackets } from './packet-reader.ts';
import { writeWholePackets } from './packet-writer.ts';
import { downgradeToGrantedQos } from './qos-downgrade.ts';
import { Refusals } from './refusals.ts';
import { deliverRetainedInBatches } from './retained-delivery.ts';
import { boundClientBuffer, clientBufferLimits, type ClientBufferLimits, type Undelivered, type Waiting } from './slow-subscribers.ts';
import { BrokerTraffic } from './traffic.ts';

writeWholePackets();

export interface BrokerOptions {
  config: GatewayConfig['broker'];
  /** Folder TLS files resolve against. */
  configDir: string;
  /** Used as the aedes id, so that $SYS topics name this gateway. */
  id: string;
  policy: AccessPolicy;
  principals: Principals;
  log: Logger;
  /** aedes persistence; aedes' in-memory one (memory-persistence.ts) when absent. */
  persistence?: AedesOptions['persistence'];
  durablePublish?: DurablePublish;
  /**
   * Where aedes starts counting messages. Queued messages are keyed by (broker id, counter), so after a
   * restart on a durable store the count must go on past the stored ones, or new keys would collide.
   */
  counterFloor?: number;
  /** Tags mapped at the start: what one burst of first values holds, which the slow-subscriber limits make room for. */
  namespaceSize: number;
  /** Runs after the broker is set up and before any listener accepts a connection. */
  beforeListen?: (publishPacket: (packet: object) => Promise<void>, subscribe: MessageBus['subscribe']) => Promise<void>;
}

/** The embedded broker: the namespace's message bus (publishes go past the access checks), and its listeners. */
export interface Broker extends MessageBus {
  readonly listeners: readonly BoundListener[];
  /** Messages received and sent, by QoS. */
  readonly traffic: BrokerTraffic;
  /** Clients connected now. */
  connectedClients(): number;
  /** What the broker refused on its own since the start (oversized or malformed packets, connections over the limit, …), by error code. */
  refusals(): Record<string, number>;
  /** Checks a user's password as CONNECT does (the same throttle per address, the same log). */
  checkLogin: LoginCheck['check'];
  /** Waits (at most `timeoutMs`) until what was published to clients has been written and has left the process. */
  flush(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts aedes and binds every configured listener; on any failure nothing stays bound. */
export async function startBroker(options: BrokerOptions): Promise<Broker> {
  const { config, log } = options;
  const listenerOfClient = new WeakMap<Client, ListenerConfig>();
  const refusals = new Refusals(log);
  const access = createAccess({
    policy: options.policy,
    principals: options.principals,
    log,
    refusals,
    listenerOf: (client) => listenerOfClient.get(client),
    durable: options.durablePublish,
  });
  const aedes = await Aedes.createBroker({
    id: options.id,
    drainTimeout: config.drainTimeoutMs,
    connectTimeout: config.connectTimeoutMs,
    keepaliveLimit: config.keepaliveLimitS,
    maxClientsIdLength: config.maxClientIdLength,
    persistence: options.persistence ?? memoryPersistence(),
    ...access.handlers,
  });
  dropDenied(aedes, access.isDropped);
  cacheTopicMatches((aedes as unknown as { mq: unknown }).mq);
  const traffic = new BrokerTraffic();
  deliverRetainedInBatches(aedes, traffic);
  (aedes as unknown as { counter: number }).counter = options.counterFloor ?? 0;
  const publishPacket = (packet: object) =>
    new Promise<void>((resolve, reject) => {
      aedes.publish(packet as AedesPublishPacket, (error?: Error | null) => (error ? reject(error) : resolve()));
    });
  const send: Broker['send'] = (topic, payload, { qos, retain }, done) => {
    const packet: PublishPacket = { cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos, retain, dup: false };
    aedes.publish(packet as AedesPublishPacket, done);
  };
  const clientError = (client: Client, error: Error) => {
    const remote = remoteAddress(client);
    // The packet guard's refusals and logins refused unchecked are logged here, rate-limited; the access checks log the others.
    if (isGatewayError(error) && BROKER_LOGGED.has(error.code)) refusals.note(error.code, { clientId: client.id ?? undefined, remote }, `connection closed: ${error.message}`);
    else if (error.message === CONNECT_TIMED_OUT) {
      refusals.note(ErrorCodes.CONNECT_TIMEOUT, { remote, connectTimeoutMs: config.connectTimeoutMs }, 'connection closed: no CONNECT in time (broker.connectTimeoutMs)');
    } else log.debug({ clientId: client.id, remote, err: error.message }, 'client error');
  };
  aedes.on('clientError', clientError);
  aedes.on('connectionError', clientError);
  aedes.on('keepaliveTimeout', (client) => log.info({ clientId: client.id }, 'keep-alive timeout'));
  const undelivered: Undelivered = { count: 0 };
  traffic.countReceived(aedes);
  const accept = acceptConnections(aedes, config, clientBufferLimits(config.slowSubscriber, options.namespaceSize), refusals, { undelivered, traffic }, listenerOfClient);
  const maxConnections = config.maxConnections ?? defaultMaxConnections();
  const gate = new ConnectionGate(maxConnections, (socket) =>
    refusals.note(ErrorCodes.CONNECTION_LIMIT, { remote: socket.remoteAddress, maxConnections }, `connection refused: ${maxConnections} connections are open (broker.maxConnections)`),
  );
  /** Connected clients by id: a client taking over an id replaces the older connection. */
  const clients = new Map<string, Client>();
  aedes.on('client', (client) => {
    options.principals.activate(client);
    clients.set(client.id, client);
    log.debug({ clientId: client.id }, 'client connected');
  });
  aedes.on('clientDisconnect', (client) => {
    if (clients.get(client.id) === client) clients.delete(client.id);
    options.principals.release(client);
    log.debug({ clientId: client.id }, 'client disconnected');
  });

  const subscribe: MessageBus['subscribe'] = (topic, handler) =>
    new Promise((resolve) => {
      aedes.subscribe(
        topic,
        (packet: AedesPublishPacket, done: () => void) => {
          handler(new BrokerMessage(packet, clients, options.principals));
          done();
        },
        () => resolve(),
      );
    });

  const closeAedes = () => new Promise<void>((resolve) => aedes.close(() => resolve()));
  const listeners: BoundListener[] = [];
  try {
    await options.beforeListen?.(publishPacket, subscribe);
    for (const [index, listener] of config.listeners.entries()) {
      const bound = await bindListener(
        listener,
        index,
        (stream, req) => accept(stream, req, listener),
        options.configDir,
        (error) => log.error({ protocol: listener.protocol, port: listener.port, err: error.message }, 'listener error'),
        { gate, handshakeTimeoutMs: config.connectTimeoutMs, refusals },
      );
      listeners.push(bound);
      log.info({ protocol: bound.protocol, host: bound.host, port: bound.port }, 'listener ready');
    }
  } catch (error) {
    await Promise.all(listeners.map((listener) => listener.close()));
    await closeAedes();
    throw error;
  }

  return {
    listeners,
    traffic,
    connectedClients: () => aedes.connectedClients,
    publish(topic, payload, options) {
      return new Promise<void>((resolve, reject) => send(topic, payload, options, (error) => (error ? reject(error) : resolve())));
    },
    send,
    refusals: () => refusals.counts(),
    checkLogin: (username, password, remote, clientId) => access.login.check(username, password, remote, clientId),
    subscribe,
    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const pending = () => undelivered.count > 0 || [...clients.values()].some((client) => (client.conn as { writableLength?: number }).writableLength);
      while (pending() && Date.now() < deadline) await sleep(10);
    },
    async close() {
      await closeAedes();
      await Promise.all(listeners.map((listener) => listener.close()));
    },
  };
}

/**
 * A message routed by the broker, as its subscribers inside the gateway see it. Who sent it (address,
 * principal) is looked up only when asked: the bridges' tap sees every forwarded message and never asks.
 */
class BrokerMessage implements InboundMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly clientId: string | undefined;

  constructor(
    packet: AedesPublishPacket,
    private readonly clients: ReadonlyMap<string, Client>,
    private readonly principals: Principals,
  ) {
    this.topic = packet.topic;
    this.payload = packet.payload as Buffer;
    this.qos = packet.qos;
    this.retain = packet.retain;
    this.clientId = (packet as { clientId?: string }).clientId;
  }

  get remote(): string | undefined {
    const sender = this.clientId === undefined ? undefined : this.clients.get(this.clientId);
    return sender && remoteAddress(sender);
  }

  get principal(): Principal | undefined {
    return this.principals.byId(this.clientId);
  }
}

/**
 * Makes aedes acknowledge a denied publish and route it nowhere: MQTT 3.1.1 has no negative PUBACK, and
 * closing the connection would make a publisher with one wrong topic reconnect in a loop.
 */
function dropDenied(aedes: Aedes, isDropped: (packet: object) => boolean): void {
  type Publish = (packet: AedesPublishPacket, client?: unknown, done?: unknown) => void;
  const publish = aedes.publish.bind(aedes) as Publish;
  // Fixed arguments, as aedes calls it (packet, client, done) or (packet, done): this runs for every message.
  (aedes as { publish: Publish }).publish = (packet, client, done) => {
    if (!isDropped(packet)) publish(packet, client, done);
    else (typeof client === 'function' ? (client as () => void) : typeof done === 'function' ? (done as () => void) : undefined)?.();
  };
}

const BROKER_LOGGED = new Set<string>([ErrorCodes.PROTOCOL_VIOLATION, ErrorCodes.PACKET_TOO_LARGE, ErrorCodes.LOGIN_THROTTLED, ErrorCodes.LOGIN_BUSY]);

/** aedes' message for a connection that sent no CONNECT within `connectTimeout`. */
const CONNECT_TIMED_OUT = 'connect did not arrive in time';

/**
 * Hands each new connection (admitted by the listeners' ConnectionGate) to aedes with its guards: packets
 * checked and bounded as they are parsed, and what waits for a slow subscriber bounded.
 */
function acceptConnections(
  aedes: Aedes,
  config: GatewayConfig['broker'],
  bufferLimits: ClientBufferLimits,
  refusals: Refusals,
  { undelivered, traffic }: { undelivered: Undelivered; traffic: BrokerTraffic },
  listenerOfClient: WeakMap<Client, ListenerConfig>,
): (stream: Duplex, req: IncomingMessage | undefined, listener: ListenerConfig) => void {
  const limits = { maxPacketBytes: config.maxPacketBytes, maxConnectBytes: config.maxConnectBytes };
  const slow = {
    dropped: (client: Client, waiting: Waiting) =>
      refusals.note(ErrorCodes.QOS0_DROPPED, { clientId: client.id, waiting }, 'QoS 0 message dropped: the subscriber reads too slowly (broker.slowSubscriber)'),
    disconnected: (client: Client, waiting: Waiting) =>
      refusals.note(ErrorCodes.SLOW_SUBSCRIBER, { clientId: client.id, waiting }, 'subscriber disconnected: it reads too slowly (broker.slowSubscriber)'),
  };
  return (stream, req, listener) => {
    const client = aedes.handle(coalesceWrites(stream), req);
    dedupeOnlyRepeats(client);
    listenerOfClient.set(client, listener);
    guardClient(client, limits);
    readHotPackets(client, limits);
    traffic.countSent(client);
    boundClientBuffer(client, bufferLimits, slow, undelivered);
    downgradeToGrantedQos(client);
  };
}
