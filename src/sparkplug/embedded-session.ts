import type { Logger } from '../log.ts';
import type { MessageBus } from '../uns/message-bus.ts';
import type { SessionEvents, SparkplugSession } from './session.ts';
import { takeBdSeq, type MetaValue } from './store-meta.ts';

/**
 * The edge node on the embedded broker. The broker dies with the node, so no MQTT will can carry the NDEATH:
 * it is kept in the store while the session runs, and published at the next start after a crash or a power
 * cut, before the new NBIRTH. The bdSeq is kept in the store too, one more at every start (0 without a store).
 */
export class EmbeddedSession implements SparkplugSession {
  readonly name = 'embedded broker';
  private death: { topic: string; payload: Buffer } | undefined;

  constructor(
    private readonly bus: MessageBus,
    private readonly kept: { bdSeq: MetaValue; death: MetaValue } | undefined,
    private readonly log: Logger,
  ) {}

  publish: SparkplugSession['publish'] = (topic, payload, options) => this.bus.publish(topic, payload, options);
  subscribe: SparkplugSession['subscribe'] = (filter, handler) => this.bus.subscribe(filter, handler);

  async open(events: SessionEvents, deathTopic: string, death: (bdSeq: number) => Buffer): Promise<void> {
    const left = this.kept?.death.get();
    if (left !== undefined) {
      const { topic, payload } = JSON.parse(left) as { topic: string; payload: string };
      await this.bus.publish(topic, Buffer.from(payload, 'base64'), { qos: 1, retain: false });
      this.log.warn({ topic }, 'sparkplug NDEATH published for the session an unclean stop ended');
    }
    const bdSeq = takeBdSeq(this.kept?.bdSeq);
    this.death = { topic: deathTopic, payload: death(bdSeq) };
    this.kept?.death.put(JSON.stringify({ topic: deathTopic, payload: this.death.payload.toString('base64') }));
    events.up(bdSeq);
  }

  async close(): Promise<void> {
    if (this.death === undefined) return;
    await this.bus.publish(this.death.topic, this.death.payload, { qos: 1, retain: false });
    this.kept?.death.remove();
  }
}
