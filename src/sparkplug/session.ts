import type { InboundMessage, PublishOptions } from '../uns/message-bus.ts';

/** What a session tells its edge node. */
export interface SessionEvents {
  /** Messages can go out, in an MQTT session whose NDEATH carries `bdSeq`: the node births with it. */
  up(bdSeq: number): void;
  /** They cannot any more (the connection to the broker dropped): the node holds data until `up`. */
  down(): void;
}

/**
 * The edge node's MQTT session on one broker: the embedded one, or a bridge's upstream. It owns the
 * birth/death sequence number and makes sure the broker's subscribers see the NDEATH of a session that ends.
 */
export interface SparkplugSession {
  /** The broker, as logs name it. */
  readonly name: string;
  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void>;
  /** Routes what arrives on `filter` to `handler`, in every MQTT session from now on. */
  subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<void>;
  /** Starts: `death(bdSeq)` is the NDEATH payload of the session numbered `bdSeq`, published on `deathTopic`. */
  open(events: SessionEvents, deathTopic: string, death: (bdSeq: number) => Buffer): Promise<void>;
  /** Publishes the running session's NDEATH, then ends it. */
  close(): Promise<void>;
}
