import type { Readable } from 'node:stream';
import type { SubValue } from 'qlobber/aedes/qlobber-sub.js';
import { queuedQos } from '../broker/granted-qos.ts';
import type { Logger } from '../log.ts';
import { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import { IncomingStore } from './incoming.ts';
import { PublishJournal } from './journal.ts';
import { OutgoingQueues } from './outgoing.ts';
import type { StoredPacket } from './packet-codec.ts';
import { RetainedStore } from './retained.ts';
import { SubscriptionStore, type Subscription } from './subscriptions.ts';
import { WillStore } from './wills.ts';

interface ClientRef {
  id: string;
}

interface BrokerRef {
  id: string;
}

export interface SqlitePersistenceOptions {
  db: SqliteDatabase;
  log: Logger;
  maxQueuedPerClient: number;
  /** Close the database on destroy(). */
  ownsDatabase: boolean;
}

/** How long an accepted publish may stay unrouted before its journal entry counts as abandoned. */
const JOURNAL_MAX_AGE_MS = 10_000;

/**
 * The settled answers of the calls aedes makes for every QoS 1/2 publish when there is nothing to wait for
 * (no persistent session subscribes): shared rather than a promise per call, as an async method would make.
 */
const DONE: Promise<void> = Promise.resolve();
const NONE: SubValue[] = [];
Object.freeze(NONE);
const NO_SUBSCRIPTIONS = Promise.resolve(NONE);

function noSuchPacket(): Error {
  return new Error('no such packet');
}

/**
 * The aedes persistence (aedes-persistence 11 async API) on one SQLite file. Each concern has its
 * own store; they share one group-commit writer.
 */
export class SqlitePersistence {
  readonly writer: BatchWriter;
  readonly retained: RetainedStore;
  readonly subscriptions: SubscriptionStore;
  readonly outgoing: OutgoingQueues;
  readonly incoming: IncomingStore;
  readonly wills: WillStore;
  readonly journal: PublishJournal;
  private brokerRef: BrokerRef | undefined;
  private readonly journalSweep: NodeJS.Timeout;
  private forwarded: (topic: string) => boolean = () => false;
  private destroyed = false;

  constructor(private readonly options: SqlitePersistenceOptions) {
    const { db, log } = options;
    const probe = db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('written_at', ?)");
    this.writer = new BatchWriter(db, log, () => probe.run(new Date().toISOString()));
    this.retained = new RetainedStore(db, this.writer);
    this.subscriptions = new SubscriptionStore(db, this.writer);
    this.outgoing = new OutgoingQueues(db, this.writer, log, options.maxQueuedPerClient);
    this.incoming = new IncomingStore(db, this.writer);
    this.wills = new WillStore(db, this.writer);
    this.journal = new PublishJournal(db, this.writer);
    this.journalSweep = setInterval(() => this.journal.sweep(JOURNAL_MAX_AGE_MS), JOURNAL_MAX_AGE_MS / 2);
    this.journalSweep.unref();
  }

  get broker(): BrokerRef | undefined {
    return this.brokerRef;
  }

  async setup(broker: BrokerRef): Promise<void> {
    this.brokerRef = broker;
  }

  /**
   * Makes an accepted publish durable before aedes acknowledges it, when anything durable depends
   * on it: a retained message, or a persistent session that will queue it. Otherwise undefined.
   */
  recordPublish(packet: StoredPacket, clientId: string): Promise<void> | undefined {
    if (packet.qos === 0) return undefined;
    // A QoS 2 retransmission of a message already received is not published again [MQTT-4.3.3].
    if (packet.qos === 2 && this.incoming.get(clientId, packet.messageId)) return undefined;
    const holds = this.holdsFor(packet);
    if (!packet.retain && holds === 0) return undefined;
    return this.journal.record(packet, holds);
  }

  /**
   * Topics some other durable store (a bridge's outbox) takes messages on: a publish on them is journaled
   * until that store settles it (journal.settle) as well as the persistent queues.
   */
  forwardTo(forwarded: (topic: string) => boolean): void {
    this.forwarded = forwarded;
  }

  /** Publishes a crash left unfinished, oldest first, tracked in the journal so that their replay settles them. */
  unfinishedPublishes(): StoredPacket[] {
    return this.journal.unfinished(this.holdsFor);
  }

  /** How many stores take `packet` over: the persistent queues (when a session subscribes), the outboxes. */
  private readonly holdsFor = (packet: StoredPacket): number =>
    (this.subscriptions.matching(packet.topic).length > 0 ? 1 : 0) + (this.forwarded(packet.topic) ? 1 : 0);

  storeRetained(packet: StoredPacket): Promise<void> {
    try {
      this.retained.store(packet, this.journal.covers(packet));
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return DONE;
  }

  createRetainedStream(pattern: string): Readable {
    return this.retained.stream([pattern]);
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    return this.retained.stream(patterns);
  }

  async addSubscriptions(client: ClientRef, subs: Subscription[]): Promise<void> {
    await this.subscriptions.add(client.id, subs);
  }

  async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    await this.subscriptions.removeTopics(client.id, topics);
  }

  async subscriptionsByClient(client: ClientRef): Promise<Subscription[]> {
    return this.subscriptions.byClientId(client.id);
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return { subsCount: this.subscriptions.subscriptionsCount, clientsCount: this.subscriptions.clientsCount };
  }

  subscriptionsByTopic(topic: string): Promise<SubValue[]> {
    return this.subscriptions.subscriptionsCount === 0 ? NO_SUBSCRIPTIONS : this.matchingSubscriptions(topic);
  }

  private async matchingSubscriptions(topic: string): Promise<SubValue[]> {
    return this.subscriptions.matching(topic);
  }

  async cleanSubscriptions(client: ClientRef): Promise<void> {
    await this.subscriptions.clean(client.id);
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: StoredPacket): Promise<void> {
    this.outgoing.enqueue(sub.clientId, packet);
  }

  /**
   * Queues `packet` for each persistent session whose subscription matches it (aedes' offline queue, which also
   * holds what is in flight to a connected one), at the highest QoS granted to that session's matching filters
   * when it is lower than the packet's [MQTT-3.8.4-6]: aedes replays the queue at the QoS it was stored with.
   */
  outgoingEnqueueCombi(subs: Array<{ clientId: string; qos?: number }>, packet: StoredPacket): Promise<void> {
    try {
      if (subs.length > 0) {
        const qos = queuedQos(subs, packet.qos);
        for (const { clientId } of subs) this.outgoing.enqueue(clientId, packet, qos.get(clientId));
      }
      this.journal.settle(packet);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return DONE;
  }

  async outgoingUpdate(client: ClientRef, packet: StoredPacket): Promise<void> {
    this.outgoing.update(client.id, packet);
  }

  async outgoingClearMessageId(client: ClientRef, packet: StoredPacket): Promise<StoredPacket | undefined> {
    return this.outgoing.clear(client.id, packet.messageId);
  }

  outgoingStream(client: ClientRef): Readable {
    return this.outgoing.stream(client.id);
  }

  async incomingStorePacket(client: ClientRef, packet: StoredPacket): Promise<void> {
    await this.incoming.store(client.id, packet, packet.messageId ?? 0);
  }

  async incomingGetPacket(client: ClientRef, packet: StoredPacket): Promise<StoredPacket> {
    const stored = this.incoming.get(client.id, packet.messageId);
    if (!stored) throw noSuchPacket();
    return stored;
  }

  async incomingDelPacket(client: ClientRef, packet: StoredPacket): Promise<void> {
    if (!this.incoming.delete(client.id, packet.messageId ?? 0)) throw noSuchPacket();
  }

  async cleanIncoming(client: ClientRef): Promise<void> {
    this.incoming.clean(client.id);
  }

  async putWill(client: ClientRef, packet: StoredPacket): Promise<void> {
    packet.brokerId = this.brokerRef?.id ?? '';
    packet.clientId = client.id;
    this.wills.put(client.id, packet);
  }

  async getWill(client: ClientRef): Promise<StoredPacket | undefined> {
    return this.wills.get(client.id);
  }

  async delWill(client: ClientRef): Promise<StoredPacket | undefined> {
    return this.wills.delete(client.id);
  }

  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return this.wills.stream(brokers);
  }

  getClientList(topic: string): Readable {
    return this.subscriptions.clientsSubscribedTo(topic);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) throw new Error('destroyed called twice!');
    this.destroyed = true;
    clearInterval(this.journalSweep);
    this.retained.writeDeferred();
    this.writer.close();
    if (this.options.ownsDatabase) this.options.db.close();
  }
}
