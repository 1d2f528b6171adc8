import type { IClientOptions, MqttClient } from 'mqtt';
import type { BridgeConfig } from '../../schemas/bridge.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { AccessRules } from '../access/access-rules.ts';
import type { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { BatchWriter } from '../store/batch-writer.ts';
import type { SqliteDatabase } from '../store/database.ts';
import type { PublishOptions } from '../uns/message-bus.ts';
import { statusKey, type BridgeStatus, type LinkState } from './bridge-status.ts';
import { bridgeClientId, upstreamClientOptions } from './client-options.ts';
import { BridgeOutbox, type DropReason } from './outbox.ts';
import { OutboxSender } from './sender.ts';
import { UpstreamLink } from './upstream-link.ts';
import type { UpstreamCommands } from './upstream-commands.ts';

export interface BridgeContext {
  gatewayId: string;
  configDir: string;
  db: SqliteDatabase;
  writer: BatchWriter;
  log: Logger;
  /** The local topic filters forwarded when the bridge names none: the namespace and the gateway's own topics. */
  defaultForward: readonly string[];
}

/** Publishes on the local broker (the bridge's status). */
export type LocalPublish = (topic: string, payload: string, options: PublishOptions) => Promise<void>;

const PRESENCE_ONLINE = 'online';

/**
 * One upstream: its outbox, the connection, the sender draining the outbox in order, the gateway's
 * presence upstream (a retained will), its status topic, and optionally setpoints from upstream.
 */
export class Bridge {
  readonly outbox: BridgeOutbox;
  private readonly statusTopic: string;
  private readonly forward: AccessRules;
  private readonly sender: OutboxSender;
  private readonly link: UpstreamLink;
  private readonly presenceTopic: string;
  private readonly prefix: string;
  private state: LinkState = 'connecting';
  private since = Date.now();
  private lastError: BridgeStatus['lastError'] = null;
  private statusTimer: NodeJS.Timeout | undefined;
  private lastStatusKey = '';
  private lastSent = { count: 0, at: performance.now() };
  private pendingDrops: Partial<Record<DropReason, number>> = {};
  private publishLocal: LocalPublish | undefined;
  private commands: UpstreamCommands | undefined;

  constructor(
    readonly config: BridgeConfig,
    private readonly context: BridgeContext,
  ) {
    const log = context.log;
    this.prefix = config.prefix ?? '';
    this.statusTopic = `_gateway/${context.gatewayId}/bridges/${config.name}/status`;
    this.presenceTopic = `${this.prefix}_gateway/${context.gatewayId}/presence`;
    this.forward = new AccessRules([{ allow: config.forward ?? context.defaultForward, deny: [] }], { username: undefined, clientId: '' });
    this.outbox = new BridgeOutbox(
      context.db,
      context.writer,
      config.name,
      {
        maxMessages: config.outbox.maxMessages,
        maxBytes: config.outbox.maxSizeMB * 1024 * 1024,
        maxAgeMs: config.outbox.maxAgeS * 1000,
        mode: config.outbox.mode,
      },
      (reason, count) => {
        this.pendingDrops[reason] = (this.pendingDrops[reason] ?? 0) + count;
      },
    );
    this.sender = new OutboxSender(this.outbox, { prefix: this.prefix, qos: config.qos, inflight: config.send.inflight, maxRate: config.send.maxRate });
    this.link = new UpstreamLink(
      { url: config.url, client: this.clientOptions(), minDelayMs: config.reconnect.minS * 1000, maxDelayMs: config.reconnect.maxS * 1000 },
      { up: (client) => this.up(client), down: (error, retryInMs) => this.down(error, retryInMs) },
    );
    if (config.tls?.verifyServer === false) {
      log.warn({ code: ErrorCodes.BRIDGE_INSECURE, bridge: config.name }, `bridge ${config.name}: tls.verifyServer is false, any server that answers ${config.url} gets the plant's data`);
    }
    if (this.outbox.depth > 0) log.info({ bridge: config.name, backlog: this.outbox.depth }, 'bridge outbox holds messages from before this start');
  }

  /** Whether a message on this local topic goes upstream. */
  forwards(topic: string): boolean {
    return this.forward.allows(topic);
  }

  append(topic: string, payload: Buffer, retain: boolean): void {
    this.outbox.append(topic, payload, retain);
    this.sender.wake();
  }

  /** Connects, and publishes the status on `publishLocal` from now on; `commands` carries setpoints from upstream. */
  start(publishLocal: LocalPublish, commands?: UpstreamCommands): void {
    this.publishLocal = publishLocal;
    this.commands = commands;
    this.link.start();
    this.statusTimer = setInterval(() => this.tick(), this.config.statusIntervalS * 1000);
    this.statusTimer.unref();
    void this.publishStatus(true);
  }

  /** Says offline upstream and disconnects; what waits stays in the outbox for the next start. */
  async stop(): Promise<void> {
    clearInterval(this.statusTimer);
    this.sender.detach();
    this.commands?.detach();
    await this.link.stop({ topic: this.presenceTopic, payload: JSON.stringify({ state: 'offline', reason: 'stopped', timestamp: Date.now() }), retain: true });
    this.setState('stopped');
    await this.publishStatus(true);
  }

  status(now = Date.now()): BridgeStatus {
    const oldest = this.outbox.oldestAt();
    const elapsedS = (performance.now() - this.lastSent.at) / 1000;
    const drops = this.outbox.drops;
    return {
      state: this.state,
      since: this.since,
      url: this.config.url,
      lastError: this.lastError,
      backlog: this.outbox.depth,
      backlogBytes: this.outbox.bytes,
      oldestAgeS: oldest === undefined ? null : Math.max(0, Math.round((now - oldest) / 100) / 10),
      inFlight: this.sender.inFlight,
      dropped: { ...drops, total: drops.maxMessages + drops.maxSizeMB + drops.maxAgeS },
      sent: this.sender.counts.sent,
      resent: this.sender.counts.resent,
      sendRate: elapsedS > 0 ? Math.round((this.sender.counts.sent - this.lastSent.count) / elapsedS) : 0,
      timestamp: now,
    };
  }

  private up(client: MqttClient): void {
    client.publish(this.presenceTopic, JSON.stringify({ state: PRESENCE_ONLINE, timestamp: Date.now() }), { qos: 1, retain: true });
    this.commands?.attach(client);
    this.sender.attach(client);
    this.setState('connected');
    this.context.log.info({ bridge: this.config.name, url: this.config.url, backlog: this.outbox.depth }, 'bridge connected; sending the outbox in order');
  }

  private down(error: GatewayError, retryInMs: number): void {
    this.sender.detach();
    this.commands?.detach();
    this.lastError = { code: error.code, message: error.message, at: Date.now() };
    const wasConnected = this.state === 'connected';
    this.setState(wasConnected ? 'disconnected' : 'connecting');
    this.context.log.warn(
      { bridge: this.config.name, code: error.code, err: error.message, retryInS: Math.round(retryInMs / 100) / 10, backlog: this.outbox.depth },
      wasConnected ? 'bridge disconnected; messages wait in the outbox' : 'bridge cannot connect',
    );
  }

  private setState(state: LinkState): void {
    if (state === this.state) return;
    this.state = state;
    this.since = Date.now();
    void this.publishStatus(true);
  }

  private tick(): void {
    this.outbox.expire();
    const drops = this.pendingDrops;
    if (Object.keys(drops).length > 0) {
      this.pendingDrops = {};
      this.context.log.warn(
        { code: ErrorCodes.BRIDGE_DROPPED, bridge: this.config.name, dropped: drops, backlog: this.outbox.depth },
        'bridge outbox full: the oldest messages were dropped (bridges[].outbox bounds)',
      );
    }
    void this.publishStatus(false);
  }

  private async publishStatus(force: boolean): Promise<void> {
    const status = this.status();
    const key = statusKey(status);
    if (!force && key === this.lastStatusKey) return;
    this.lastStatusKey = key;
    this.lastSent = { count: status.sent, at: performance.now() };
    await this.publishLocal?.(this.statusTopic, JSON.stringify(status), { qos: 1, retain: true }).catch((error: unknown) => {
      this.context.log.error({ bridge: this.config.name, err: (error as Error).message }, 'bridge status publish failed');
    });
  }

  private clientOptions(): IClientOptions {
    return {
      ...upstreamClientOptions(this.config, bridgeClientId(this.config, this.context.gatewayId), this.context.configDir),
      will: { topic: this.presenceTopic, payload: Buffer.from(JSON.stringify({ state: 'offline', reason: 'connection lost' })), qos: 1, retain: true },
    };
  }
}
