import type { MqttClient } from 'mqtt';
import { AccessRules } from '../access/access-rules.ts';
import type { Principal } from '../access/principal.ts';
import type { CommandBus, InboundMessage, PublishOptions } from '../uns/message-bus.ts';

interface Route {
  filter: string;
  rules: AccessRules;
  handler: (message: InboundMessage) => void;
}

/**
 * A bridge's upstream as a command bus: what the upstream publishes on `<prefix><filter>` arrives with the
 * prefix taken off and the bridge as its principal, and answers go back upstream under the prefix. Nothing
 * that comes down is published on the local broker, so nothing that came down goes back up.
 */
export class UpstreamCommands implements CommandBus {
  private readonly routes: Route[] = [];
  private client: MqttClient | undefined;

  constructor(
    private readonly prefix: string,
    /**
     * The first topic levels of this gateway's namespace (its sites, or its root's first level): a filter
     * starting with `+` is subscribed upstream under each, so that commands meant for another gateway
     * sharing the upstream are neither received nor answered.
     */
    private readonly scopes: readonly string[],
    private readonly principal: Principal,
    private readonly remote: string,
  ) {}

  async subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<void> {
    this.routes.push({ filter, rules: new AccessRules([{ allow: [filter], deny: [] }], { username: undefined, clientId: '' }), handler });
    if (this.client) this.client.subscribe(this.upstreamFilters(filter), { qos: 1 });
  }

  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (client === undefined || !client.connected) return Promise.reject(new Error('the upstream is not connected'));
    return new Promise((resolve, reject) => client.publish(this.prefix + topic, payload, options, (error) => (error ? reject(error) : resolve())));
  }

  /** A connection is up: subscribes (a clean session holds no subscription) and routes what arrives. */
  attach(client: MqttClient): void {
    this.client = client;
    if (this.routes.length > 0) client.subscribe(this.routes.flatMap((route) => this.upstreamFilters(route.filter)), { qos: 1 });
    client.on('message', (topic, payload, packet) => {
      if (!topic.startsWith(this.prefix)) return;
      const local = topic.slice(this.prefix.length);
      const route = this.routes.find((candidate) => candidate.rules.allows(local));
      route?.handler({ topic: local, payload, qos: packet.qos, retain: packet.retain, principal: this.principal, clientId: this.principal.clientId, remote: this.remote });
    });
  }

  detach(): void {
    this.client = undefined;
  }

  private upstreamFilters(filter: string): string[] {
    if (!filter.startsWith('+/')) return [this.prefix + filter];
    return this.scopes.map((scope) => `${this.prefix}${scope}${filter.slice(1)}`);
  }
}
