import type { Principal } from '../access/principal.ts';

export interface PublishOptions {
  qos: 0 | 1 | 2;
  retain: boolean;
}

/** A message a client published, with who sent it: the principal it authenticated as, its client id and address. */
export interface InboundMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  /** As published: a message retained by the broker, not one delivered from its retained store. */
  retain: boolean;
  principal?: Principal | undefined;
  clientId?: string | undefined;
  remote?: string | undefined;
}

/** What the namespace needs of the broker: publish on the gateway's behalf, and receive what clients publish. */
export interface MessageBus {
  publish(topic: string, payload: string | Buffer, options: PublishOptions): Promise<void>;
  /** `publish` with a callback once the message is routed: no promise per value, for the stream of tag values. */
  send(topic: string, payload: string | Buffer, options: PublishOptions, done: (error?: Error | null) => void): void;
  /** Receives what clients publish on `filter` (`+` and `#` match). */
  subscribe(filter: string, handler: (message: InboundMessage) => void): Promise<void>;
}

/** What a command handler needs: receive commands, publish answers. The broker is one; a bridge's upstream another. */
export type CommandBus = Pick<MessageBus, 'publish' | 'subscribe'>;
