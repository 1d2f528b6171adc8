import type { BridgeConfig } from '../../schemas/bridge.ts';
import type { AccessConfig } from '../../schemas/gateway.ts';
import { principalWithRoles } from '../access/principal.ts';
import { covers, intersects, parsePattern } from '../access/topic-pattern.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { InboundMessage, MessageBus } from '../uns/message-bus.ts';
import { SetAdapter } from '../uns/set-adapter.ts';
import type { TagIndex } from '../uns/tag-index.ts';
import type { WriteService } from '../writes/write-service.ts';
import { Bridge, type LocalPublish } from './bridge.ts';
import { bridgeClientId } from './client-options.ts';
import { UpstreamCommands } from './upstream-commands.ts';

export interface BridgesOptions {
  bridges: readonly BridgeConfig[];
  gatewayId: string;
  configDir: string;
  store: Store;
  log: Logger;
  /** Local filters forwarded by a bridge that names none. */
  defaultForward: readonly string[];
}

/** What setpoints from upstream need: the tags, the write service, and the access roles a bridge writes with. */
export interface DownlinkContext {
  index: TagIndex;
  /** The first topic level of every tag (its site, or its root's first level). */
  scopes: readonly string[];
  writes: WriteService;
  access: AccessConfig;
}

/**
 * Every bridge, and the one tap on the local broker that feeds their outboxes. A message published
 * locally on a forwarded topic is appended to each outbox that forwards it, in the store's group commit;
 * an acknowledged client publish stays in the store's journal until then, so that a crash in between
 * loses nothing.
 */
export class Bridges {
  readonly list: readonly Bridge[];
  /** Whether two tap filters can match one topic: then a message may arrive twice, back to back. */
  private overlapping = false;
  private last: InboundMessage | undefined;

  constructor(private readonly options: BridgesOptions) {
    const { store } = options;
    this.list = options.bridges.map(
      (config) =>
        new Bridge(config, {
          gatewayId: options.gatewayId,
          configDir: options.configDir,
          db: store.database,
          writer: store.persistence.writer,
          log: options.log,
          defaultForward: options.defaultForward,
        }),
    );
    store.persistence.forwardTo((topic) => this.forwards(topic));
  }

  forwards(topic: string): boolean {
    return this.list.some((bridge) => bridge.forwards(topic));
  }

  /** Subscribes the tap on the local broker, before any client can publish (and before the store's recovery replays). */
  async tap(subscribe: MessageBus['subscribe']): Promise<void> {
    const handler = (message: InboundMessage) => this.onMessage(message);
    const filters = tapFilters(this.list.map((bridge) => bridge.config.forward ?? this.options.defaultForward));
    this.overlapping = filters.some((filter, index) => filters.some((other, at) => at > index && intersects(parsePattern(filter), parsePattern(other))));
    await Promise.all(filters.map((filter) => subscribe(filter, handler)));
  }

  /** Connects every bridge; with `downlink`, the bridges that enable it take setpoints from upstream. */
  async start(publishLocal: LocalPublish, downlink: DownlinkContext): Promise<void> {
    for (const bridge of this.list) {
      const { config } = bridge;
      let commands: UpstreamCommands | undefined;
      if (config.downlink.enabled) {
        const clientId = bridgeClientId(config, this.options.gatewayId);
        const principal = principalWithRoles(downlink.access, `bridge:${config.name}`, clientId, config.downlink.roles);
        commands = new UpstreamCommands(config.prefix ?? '', downlink.scopes, principal, config.url);
        await new SetAdapter(downlink.index, commands, downlink.writes, this.options.log.child({ module: 'write', bridge: config.name })).start();
      }
      bridge.start(publishLocal, commands);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.list.map((bridge) => bridge.stop()));
  }

  private onMessage(message: InboundMessage): void {
    if (this.overlapping) {
      if (this.last !== undefined && message.payload === this.last.payload && message.topic === this.last.topic) return;
      this.last = message;
    }
    let appended = false;
    for (const bridge of this.list) {
      if (!bridge.forwards(message.topic)) continue;
      bridge.append(message.topic, message.payload, message.retain);
      appended = true;
    }
    if (appended) this.options.store.persistence.journal.settle(message);
  }
}

/** The filters of every bridge, without those another one covers. */
function tapFilters(lists: ReadonlyArray<readonly string[]>): string[] {
  const all = [...new Set(lists.flat())];
  return all.filter((filter, index) =>
    !all.some((other, at) => at !== index && covers(parsePattern(other), parsePattern(filter)) && !(covers(parsePattern(filter), parsePattern(other)) && at > index)),
  );
}
