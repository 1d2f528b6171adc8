import { Readable } from 'node:stream';
import { QlobberTrue } from 'qlobber';
import type { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import { decodePacket, encodePacket, type StoredPacket } from './packet-codec.ts';

const MATCH_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/' };

/** Retained messages: all held in memory for fast subscribe, written through to SQLite. */
export class RetainedStore {
  private readonly byTopic = new Map<string, StoredPacket>();
  /** Topics whose latest value is not written yet. */
  private readonly dirty = new Set<string>();
  private deferTimer: NodeJS.Timeout | undefined;
  private readonly upsert;
  private readonly remove;

  constructor(
    db: SqliteDatabase,
    private readonly writer: BatchWriter,
    private readonly deferMs = 1000,
  ) {
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

  /**
   * An empty payload clears the topic [MQTT-3.3.1-10]. An `urgent` write (a client's QoS 1/2 publish,
   * whose journal entry goes in the same batch) is staged at once; others (the gateway's own tag values,
   * QoS 0) are written at most once per `deferMs` per topic, the latest value only: a tag that changes
   * ten times a second costs one row write a second, and its value is read from the device again after
   * a restart anyway.
   */
  store(packet: StoredPacket, urgent: boolean): void {
    const topic = packet.topic;
    const cleared = packet.payload.length === 0;
    if (cleared) this.byTopic.delete(topic);
    else this.byTopic.set(topic, { ...packet });
    if (urgent) {
      this.dirty.delete(topic);
      this.stageWrite(topic);
      return;
    }
    this.dirty.add(topic);
    if (!this.deferTimer) {
      this.deferTimer = setTimeout(() => this.writeDeferred(), this.deferMs);
      this.deferTimer.unref();
    }
  }

  /** Stages what is deferred now (before a clean stop). */
  writeDeferred(): void {
    clearTimeout(this.deferTimer);
    this.deferTimer = undefined;
    for (const topic of this.dirty) this.stageWrite(topic);
    this.dirty.clear();
  }

  private stageWrite(topic: string): void {
    const packet = this.byTopic.get(topic);
    if (!packet) {
      this.writer.stage(() => this.remove.run(topic));
      return;
    }
    this.writer.stage(() => {
      // A later store of the same topic in this batch supersedes this one.
      if (this.byTopic.get(topic) !== packet) return;
      const encoded = encodePacket(packet);
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
