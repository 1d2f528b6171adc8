import { Readable } from 'node:stream';
import { QlobberTrue } from 'qlobber';
import type { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import { decodePacket, encodePacket, type StoredPacket } from './packet-codec.ts';

const MATCH_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/' };

/** Retained messages: all held in memory for fast subscribe, written through to SQLite. */
export class RetainedStore {
  private readonly byTopic = new Map<string, StoredPacket>();
  private readonly upsert;
  private readonly remove;

  constructor(db: SqliteDatabase, private readonly writer: BatchWriter) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO retained (topic, payload, meta) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM retained WHERE topic = ?');
    for (const row of db.prepare('SELECT payload, meta FROM retained').iterate() as Iterable<{ payload: Buffer; meta: string }>) {
      const packet = decodePacket(row.payload, row.meta);
      this.byTopic.set(packet.topic, packet);
    }
  }

  get(topic: string): StoredPacket | undefined {
    return this.byTopic.get(topic);
  }

  get size(): number {
    return this.byTopic.size;
  }

  /** An empty payload clears the topic [MQTT-3.3.1-10]. */
  store(packet: StoredPacket): void {
    const topic = packet.topic;
    if (packet.payload.length === 0) {
      this.byTopic.delete(topic);
      this.writer.stage(() => this.remove.run(topic));
      return;
    }
    const copy = { ...packet };
    this.byTopic.set(topic, copy);
    this.writer.stage(() => {
      // A later store of the same topic in this batch supersedes this one.
      if (this.byTopic.get(topic) !== copy) return;
      const encoded = encodePacket(copy);
      this.upsert.run(topic, encoded.payload, encoded.meta);
    });
  }

  stream(patterns: readonly string[]): Readable {
    const retained = this.byTopic;
    function* matching(): Generator<StoredPacket> {
      for (const pattern of patterns) {
        if (pattern === '#') {
          yield* retained.values();
          continue;
        }
        const matcher = new QlobberTrue(MATCH_OPTIONS).add(pattern);
        for (const [topic, packet] of retained) if (matcher.test(topic)) yield packet;
      }
    }
    return Readable.from(matching());
  }
}
