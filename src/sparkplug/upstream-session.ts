import type { IClientOptions, MqttClient } from 'mqtt';
import type { BridgeConfig } from '../../schemas/bridge.ts';
import type { Principal } from '../access/principal.ts';
import { covers, parsePattern, type Pattern } from '../access/topic-pattern.ts';
import { UpstreamLink } from '../bridge/upstream-link.ts';
import type { Logger } from '../log.ts';
import type { InboundMessage } from '../uns/message-bus.ts';
import type { SessionEvents, SparkplugSession } from './session.ts';
import { takeBdSeq, type MetaValue } from './store-meta.ts';

interface Route {
  pattern: Pattern;
  filter: string;
  handler: (message: InboundMessage) => void;
}

/**
 * The edge node on a bridge's upstream broker, as its own MQTT connection (the bridge's own connection
 * carries the gateway's presence as its will): every connection attempt takes the next bdSeq and has the
 * NDEATH with it as its will, so that the upstream publishes it when the link drops. Topics are not
 * prefixed: Sparkplug hosts listen on `spBv1.0/…`. What arrives comes from the bridge as its principal.
 */
export class UpstreamSession implements SparkplugSession {
  readonly name: string;
  private readonly routes: Route[] = [];
  private client: MqttClient | undefined;
  private link: UpstreamLink | undefined;
  private death: { topic: string; payload: Buffer } | undefined;

  constructor(
    private readonly config: BridgeConfig,
    private readonly clientOptions: IClientOptions,
    private readonly bdSeq: MetaValue,
    private readonly principal: Principal,
    private readonly log: Logger,
  ) {
    this.name = `bridge ${config.name}`;
  }

  publish: SparkplugSession['publish'] = (topic, payload, options) => {
    const client = this.client;
    if (client === undefined || !client.connected) return Promise.reject(new Error(`the upstream of ${this.name} is not connected`));
    return new Promise((resolve, reject) => client.publish(topic, payload, options, (error) => (error ? reject(error) : resolve())));
  };

  async subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<void> {
    this.routes.push({ pattern: parsePattern(filter), filter, handler });
    this.client?.subscribe(filter, { qos: 1 });
  }

  async open(events: SessionEvents, deathTopic: string, death: (bdSeq: number) => Buffer): Promise<void> {
    const { config } = this;
    let bdSeq = 0;
    this.link = new UpstreamLink(
      {
        url: config.url,
        client: () => {
          bdSeq = takeBdSeq(this.bdSeq);
          this.death = { topic: deathTopic, payload: death(bdSeq) };
          return { ...this.clientOptions, will: { topic: deathTopic, payload: this.death.payload, qos: 1, retain: false } };
        },
        minDelayMs: config.reconnect.minS * 1000,
        maxDelayMs: config.reconnect.maxS * 1000,
      },
      {
        up: (client) => {
          this.client = client;
          client.on('message', (topic, payload, packet) => this.route(topic, payload, packet.qos, packet.retain));
          if (this.routes.length > 0) client.subscribe(this.routes.map((route) => route.filter), { qos: 1 });
          this.log.info({ bridge: config.name, url: config.url, bdSeq }, 'sparkplug session up on the bridge upstream');
          events.up(bdSeq);
        },
        down: (error, retryInMs) => {
          const wasUp = this.client !== undefined;
          this.client = undefined;
          if (wasUp) this.log.warn({ bridge: config.name, code: error.code, err: error.message, retryInS: Math.round(retryInMs / 100) / 10 }, 'sparkplug session on the bridge upstream lost; data is held');
          events.down();
        },
      },
    );
    this.link.start();
  }

  async close(): Promise<void> {
    this.client = undefined;
    await this.link?.stop(this.death === undefined ? undefined : { ...this.death, retain: false });
  }

  private route(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): void {
    const levels = parsePattern(topic);
    const route = this.routes.find((candidate) => covers(candidate.pattern, levels));
    route?.handler({ topic, payload, qos, retain, principal: this.principal, clientId: this.principal.clientId, remote: this.config.url });
  }
}
