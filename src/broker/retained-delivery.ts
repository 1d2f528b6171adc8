import { Readable } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { Aedes, Client } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { GrantedFilters, type GrantedSubscriptions } from './granted-qos.ts';
import type { BrokerTraffic } from './traffic.ts';

/** A retained message as the persistence's stream yields it. */
interface RetainedPacket {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
}

interface ClientInternals {
  conn: Duplex;
  closed: boolean;
  subscriptions: GrantedSubscriptions;
  /** aedes' next packet id for this client. */
  _nextId: number;
  /** aedes' wait for the connection to drain, bounded by its drainTimeout; called back with an error if the client goes. */
  waitForDrain(callback: (error?: Error | null) => void): void;
}

interface RetainedSource {
  createRetainedStreamCombi(patterns: string[]): Readable;
}

type AuthorizeForward = (client: Client, packet: { topic: string; payload: Buffer; qos: number; retain: boolean }) => unknown;

/**
 * Sends the retained messages of a new subscription as fast as the subscriber reads them. aedes sends them one per
 * turn of the event loop (a write, then a setImmediate before the next), so each one costs a system call: 100,000
 * retained values took seconds. Here they are written back to back until the connection's buffer is full, then
 * again once it drains (aedes' own wait, with its drainTimeout), in the order the store gives them.
 *
 * aedes' semantics are kept, and one is fixed: each message keeps its retain flag; it goes out at the lower of its
 * own QoS and the QoS granted to the matching filter (aedes downgraded only for a filter equal to the topic, so a
 * QoS 0 `#` subscriber got QoS 1 messages) [MQTT-3.8.4-6]; the access policy's forward check still applies; a filter
 * that starts with a wildcard does not match a `$` topic [MQTT-4.7.2-1].
 *
 * aedes asks the persistence for the stream right after it emits `subscribe` for the client, in the same turn; the
 * stream is taken there and aedes is handed an empty one.
 */
export function deliverRetainedInBatches(aedes: Aedes, traffic: BrokerTraffic): void {
  const persistence = (aedes as unknown as { persistence: RetainedSource }).persistence;
  const open = persistence.createRetainedStreamCombi.bind(persistence);
  const authorizeForward = (aedes as unknown as { authorizeForward: AuthorizeForward }).authorizeForward.bind(aedes);
  let subscriber: Client | undefined;
  aedes.on('subscribe', (_subscriptions, client) => {
    subscriber = client;
    queueMicrotask(() => {
      subscriber = undefined;
    });
  });
  persistence.createRetainedStreamCombi = (patterns) => {
    const client = subscriber;
    subscriber = undefined;
    if (client === undefined) return open(patterns);
    new RetainedCatchUp(client, open(patterns), patterns, authorizeForward, traffic.sent).start();
    return Readable.from([]);
  };
}

/** One subscription's retained messages on their way to its client. */
class RetainedCatchUp {
  private readonly internals: ClientInternals;
  /** The filters of this SUBSCRIBE, with the QoS granted to each. */
  private readonly granted: GrantedFilters;

  constructor(
    private readonly client: Client,
    private readonly stream: Readable,
    patterns: readonly string[],
    private readonly authorizeForward: AuthorizeForward,
    private readonly sent: [number, number, number],
  ) {
    this.internals = client as unknown as ClientInternals;
    this.granted = new GrantedFilters(this.internals.subscriptions, patterns);
  }

  start(): void {
    this.stream.on('error', () => this.stream.destroy());
    this.pump();
  }

  /** Writes until the stream runs dry (then waits for more) or the connection is full (then waits for it to drain). */
  private readonly pump = (): void => {
    const { conn } = this.internals;
    while (!this.internals.closed && !conn.destroyed) {
      const packet = this.stream.read() as RetainedPacket | null;
      if (packet === null) {
        if (!this.stream.readableEnded && !this.stream.destroyed) this.stream.once('readable', this.pump);
        return;
      }
      if (!this.send(packet, conn)) {
        this.internals.waitForDrain((error) => (error ? this.stream.destroy() : this.pump()));
        return;
      }
    }
    this.stream.destroy();
  };

  /** Writes one message, if the subscriber may have it; false when the connection's buffer is full. */
  private send(packet: RetainedPacket, conn: Duplex): boolean {
    const granted = this.granted.highest(packet.topic);
    if (granted === undefined) return true;
    const qos = Math.min(packet.qos, granted) as 0 | 1 | 2;
    const outgoing = { cmd: 'publish' as const, topic: packet.topic, payload: packet.payload, qos, retain: true, dup: false, messageId: undefined as number | undefined };
    if (!this.authorizeForward(this.client, outgoing)) return true;
    if (qos > 0) outgoing.messageId = this.nextMessageId();
    this.sent[qos]++;
    return mqttPacket.writeToStream(outgoing, conn);
  }

  /** aedes' numbering of a client's packet ids, which its PUBACK handling expects. */
  private nextMessageId(): number {
    const id = this.internals._nextId;
    this.internals._nextId = id >= 65535 ? 1 : id + 1;
    return id;
  }
}
