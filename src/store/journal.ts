import type { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import { decodePacket, rowBytes, type StoredPacket } from './packet-codec.ts';

/**
 * Write-ahead log of accepted QoS 1/2 publishes. aedes sends PUBACK before it stores a message,
 * so the gateway records the message here, durably, before it lets aedes go on; the row is deleted
 * in the same batch that queues the message for its persistent subscribers. Rows left after a crash
 * are published again at start.
 */
export class PublishJournal {
  /** Keyed by payload: aedes wraps the packet in a new object, but keeps its payload buffer. */
  private readonly ids = new WeakMap<Buffer, number>();
  /** Entries written and not settled yet, with when they were written. */
  private readonly open = new Map<number, number>();
  /** Entries that more than one store must hold before they can go: how many have not yet. */
  private readonly holds = new Map<number, number>();
  private nextId: number;
  private readonly insert;
  private readonly remove;
  private readonly all;

  constructor(db: SqliteDatabase, private readonly writer: BatchWriter) {
    this.insert = db.prepare('INSERT INTO journal (id, payload, meta) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM journal WHERE id = ?');
    this.all = db.prepare('SELECT id, payload, meta FROM journal ORDER BY id');
    const last = db.prepare('SELECT max(id) AS id FROM journal').get() as { id: number | null };
    this.nextId = (last.id ?? 0) + 1;
  }

  /**
   * Resolves once the publish is durable. `holds`: how many stores take the message over (the persistent
   * queues, the bridges' outboxes), each calling `settle` once it has; the entry goes after the last.
   */
  record(packet: StoredPacket, holds = 1): Promise<void> {
    const id = this.nextId++;
    this.ids.set(packet.payload, id);
    this.open.set(id, Date.now());
    if (holds > 1) this.holds.set(id, holds);
    // The fields a replay needs, written by hand: this runs for every acknowledged publish.
    const meta = `{"cmd":"publish","topic":${JSON.stringify(packet.topic)},"qos":${packet.qos},"retain":${packet.retain === true}}`;
    const payload = packet.payload;
    return this.writer.durable(() => this.insert.run(id, payload, meta), 'abandon', rowBytes(payload.length, packet.topic));
  }

  /** Entries written and not settled yet: publishes acknowledged and not yet taken over by every store. */
  get depth(): number {
    return this.open.size;
  }

  /** Whether `packet` is a journaled publish (acknowledged to a client, not settled yet). */
  covers(packet: StoredPacket): boolean {
    return this.ids.has(packet.payload);
  }

  /**
   * A store holding the publish has it now (queued for every persistent subscriber, appended to the
   * outboxes): once every one has, its log entry goes, staged after what they staged.
   */
  settle(packet: Pick<StoredPacket, 'payload'>): void {
    const id = this.ids.get(packet.payload);
    if (id === undefined) return;
    const left = (this.holds.get(id) ?? 1) - 1;
    if (left > 0) {
      this.holds.set(id, left);
      return;
    }
    this.abandon(packet);
  }

  /** The publish will not be taken over (it could not be published again): its log entry goes. */
  abandon(packet: Pick<StoredPacket, 'payload'>): void {
    const id = this.ids.get(packet.payload);
    if (id === undefined) return;
    this.ids.delete(packet.payload);
    this.forget(id);
  }

  /**
   * Drops entries older than `maxAgeMs` that were never settled: aedes did not route them (a QoS 1
   * whose PUBACK could not be written, a refused QoS 2). A routed publish settles in milliseconds,
   * so only a crash leaves an entry that must be replayed.
   */
  sweep(maxAgeMs: number, now = Date.now()): number {
    let dropped = 0;
    for (const [id, at] of this.open) {
      if (now - at < maxAgeMs) break;
      this.forget(id);
      dropped++;
    }
    return dropped;
  }

  private forget(id: number): void {
    this.open.delete(id);
    this.holds.delete(id);
    this.writer.stage(() => this.remove.run(id));
  }

  /**
   * Publishes a crash left unfinished, oldest first; each is tracked so that its replay settles it, by
   * `holdsFor` stores.
   */
  unfinished(holdsFor: (packet: StoredPacket) => number): StoredPacket[] {
    const rows = this.all.all() as Array<{ id: number; payload: Buffer; meta: string }>;
    return rows.map((row) => {
      const packet = decodePacket(row.payload, row.meta);
      this.ids.set(packet.payload, row.id);
      const holds = holdsFor(packet);
      if (holds > 1) this.holds.set(row.id, holds);
      return packet;
    });
  }
}
