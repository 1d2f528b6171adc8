import { Readable } from 'node:stream';
import QlobberSub, { type SubValue } from 'qlobber/aedes/qlobber-sub.js';
import type { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';

/** What a persistent session subscribed to, beyond its topic. */
export interface SubscriptionRecord {
  qos: number;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
  subscriptionIdentifier?: number;
}

export interface Subscription extends SubscriptionRecord {
  topic: string;
}

const TRIE_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/', match_empty_levels: true };

/** Subscriptions of persistent sessions: a topic trie in memory, one row each in SQLite. */
export class SubscriptionStore {
  private readonly trie = new QlobberSub(TRIE_OPTIONS);
  private readonly byClient = new Map<string, Map<string, SubscriptionRecord>>();
  private readonly upsert;
  private readonly remove;
  private readonly removeClient;

  constructor(db: SqliteDatabase, private readonly writer: BatchWriter) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO subscriptions (client_id, topic, meta) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?');
    this.removeClient = db.prepare('DELETE FROM subscriptions WHERE client_id = ?');
    const rows = db.prepare('SELECT client_id, topic, meta FROM subscriptions').iterate() as Iterable<{
      client_id: string;
      topic: string;
      meta: string;
    }>;
    for (const row of rows) this.remember(row.client_id, row.topic, JSON.parse(row.meta) as SubscriptionRecord);
  }

  get clientsCount(): number {
    return this.byClient.size;
  }

  get subscriptionsCount(): number {
    return this.trie.subscriptionsCount;
  }

  /** Resolves once the subscriptions are durable, so that SUBACK promises what survives a restart. */
  add(clientId: string, subs: readonly Subscription[]): Promise<void> {
    const rows: Array<[string, string]> = [];
    for (const sub of subs) {
      const record: SubscriptionRecord = { qos: sub.qos, rh: sub.rh, rap: sub.rap, nl: sub.nl };
      if (sub.subscriptionIdentifier !== undefined) record.subscriptionIdentifier = sub.subscriptionIdentifier;
      this.remember(clientId, sub.topic, record);
      rows.push([sub.topic, JSON.stringify(record)]);
    }
    return this.writer.durable(() => {
      for (const [topic, meta] of rows) this.upsert.run(clientId, topic, meta);
    });
  }

  removeTopics(clientId: string, topics: readonly string[]): Promise<void> {
    const stored = this.byClient.get(clientId);
    if (stored) {
      for (const topic of topics) {
        const record = stored.get(topic);
        if (record === undefined) continue;
        if (record.qos > 0) this.trie.remove(topic, { clientId, topic });
        stored.delete(topic);
      }
      if (stored.size === 0) this.byClient.delete(clientId);
    }
    return this.writer.durable(() => {
      for (const topic of topics) this.remove.run(clientId, topic);
    }, 'retry');
  }

  clean(clientId: string): Promise<void> {
    const stored = this.byClient.get(clientId);
    if (stored === undefined) return Promise.resolve();
    for (const [topic, record] of stored) if (record.qos > 0) this.trie.remove(topic, { clientId, topic });
    this.byClient.delete(clientId);
    return this.writer.durable(() => this.removeClient.run(clientId), 'retry');
  }

  byClientId(clientId: string): Subscription[] {
    const stored = this.byClient.get(clientId);
    if (!stored) return [];
    return [...stored].map(([topic, record]) => ({ topic, ...record }));
  }

  /** Persistent sessions with a QoS > 0 subscription matching `topic`. */
  matching(topic: string): SubValue[] {
    // Asked for every QoS 1/2 publish: with no persistent subscriber, skip splitting the topic.
    return this.trie.subscriptionsCount === 0 ? [] : this.trie.match(topic);
  }

  clientsSubscribedTo(topic: string): Readable {
    const byClient = this.byClient;
    function* clients(): Generator<string> {
      for (const [clientId, stored] of byClient) if (stored.has(topic)) yield clientId;
    }
    return Readable.from(clients());
  }

  private remember(clientId: string, topic: string, record: SubscriptionRecord): void {
    let stored = this.byClient.get(clientId);
    if (!stored) {
      stored = new Map();
      this.byClient.set(clientId, stored);
    }
    const previous = stored.get(topic);
    if (record.qos > 0) {
      this.trie.add(topic, { clientId, topic, qos: record.qos, rh: record.rh, rap: record.rap, nl: record.nl });
    } else if (previous !== undefined && previous.qos > 0) {
      this.trie.remove(topic, { clientId, topic });
    }
    stored.set(topic, record);
  }
}
