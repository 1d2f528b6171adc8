import { Readable } from 'node:stream';
import type { Logger } from '../log.ts';
import type { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import { decodePacket, encodePacket, normalizePacket, rowBytes, type StoredPacket } from './packet-codec.ts';

/** One queued message; `packet` is held in memory until its row is written, or while it is in flight. */
interface Entry {
  seq: number;
  clientId: string;
  brokerId: string;
  brokerCounter: number;
  messageId: number | undefined;
  packet: StoredPacket | undefined;
  /** Written to SQLite; false while the insert is still staged. */
  written: boolean;
  removed: boolean;
}

class ClientQueue {
  /** In seq order: a Map keeps insertion order. */
  readonly entries = new Map<number, Entry>();
  readonly byCounter = new Map<string, Entry>();
  readonly byMessageId = new Map<number, Entry>();
}

export interface QueueStats {
  droppedPerClientLimit: number;
  droppedSizeLimit: number;
}

const counterKey = (brokerId: string, brokerCounter: number) => `${brokerId}\u0000${brokerCounter}`;

/**
 * QoS 1/2 messages waiting for, or in flight to, persistent sessions. The order and ids live in
 * memory; packets live in SQLite. A message acknowledged before its batch is written never
 * touches the disk.
 */
export class OutgoingQueues {
  private readonly queues = new Map<string, ClientQueue>();
  private nextSeq: number;
  readonly stats: QueueStats = { droppedPerClientLimit: 0, droppedSizeLimit: 0 };
  private readonly insert;
  private readonly updateId;
  private readonly replace;
  private readonly remove;
  private readonly removeClient;
  private readonly selectPacket;
  private readonly oldest;

  constructor(
    db: SqliteDatabase,
    private readonly writer: BatchWriter,
    private readonly log: Logger,
    private readonly maxPerClient: number,
  ) {
    this.insert = db.prepare(
      'INSERT INTO outgoing (seq, client_id, broker_id, broker_counter, message_id, payload, meta) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.updateId = db.prepare('UPDATE outgoing SET message_id = ? WHERE seq = ?');
    this.replace = db.prepare('UPDATE outgoing SET broker_id = ?, broker_counter = ?, message_id = ?, payload = ?, meta = ? WHERE seq = ?');
    this.remove = db.prepare('DELETE FROM outgoing WHERE seq = ?');
    this.removeClient = db.prepare('DELETE FROM outgoing WHERE client_id = ?');
    this.selectPacket = db.prepare('SELECT payload, meta FROM outgoing WHERE seq = ?');
    this.oldest = db.prepare('SELECT seq, client_id FROM outgoing ORDER BY seq LIMIT ?');
    const rows = db
      .prepare('SELECT seq, client_id, broker_id, broker_counter, message_id FROM outgoing ORDER BY seq')
      .iterate() as Iterable<{ seq: number; client_id: string; broker_id: string; broker_counter: number; message_id: number | null }>;
    let last = 0;
    for (const row of rows) {
      last = row.seq;
      this.index({
        seq: row.seq,
        clientId: row.client_id,
        brokerId: row.broker_id,
        brokerCounter: row.broker_counter,
        messageId: row.message_id ?? undefined,
        packet: undefined,
        written: true,
        removed: false,
      });
    }
    this.nextSeq = last + 1;
  }

  /** The highest aedes broker counter of any queued message: a restarted broker must count on from it. */
  maxBrokerCounter(): number {
    let max = 0;
    for (const queue of this.queues.values()) for (const entry of queue.entries.values()) max = Math.max(max, entry.brokerCounter);
    return max;
  }

  count(clientId: string): number {
    return this.queues.get(clientId)?.entries.size ?? 0;
  }

  /** The `limit` sessions with the most messages queued or in flight, deepest first, and the total across all. */
  depths(limit: number): { deepest: Array<{ clientId: string; depth: number }>; total: number } {
    let total = 0;
    const all: Array<{ clientId: string; depth: number }> = [];
    for (const [clientId, queue] of this.queues) {
      total += queue.entries.size;
      if (limit > 0 && queue.entries.size > 0) all.push({ clientId, depth: queue.entries.size });
    }
    return { deepest: all.sort((a, b) => b.depth - a.depth).slice(0, limit), total };
  }

  /** Queues a copy of `packet` for `clientId`, to go at `qos`. */
  enqueue(clientId: string, packet: StoredPacket, qos = packet.qos): void {
    const queue = this.queue(clientId);
    if (queue.entries.size >= this.maxPerClient) this.dropOldest(queue, clientId);
    const stored = normalizePacket(packet);
    stored.qos = qos;
    const entry: Entry = {
      seq: this.nextSeq++,
      clientId,
      brokerId: stored.brokerId ?? '',
      brokerCounter: stored.brokerCounter ?? 0,
      messageId: stored.messageId,
      packet: stored,
      written: false,
      removed: false,
    };
    this.index(entry);
    this.writer.stage(
      () => this.write(entry),
      () => {
        entry.written = true;
        // In flight to a connected client: its PUBACK comes soon and wants the packet back.
        if (entry.messageId === undefined) entry.packet = undefined;
      },
      rowBytes(stored.payload.length, stored.topic),
    );
  }

  /**
   * Records what aedes sends for a queued message: the message id given to a PUBLISH, found by its
   * broker counter; or the PUBREL that takes the place of a QoS 2 PUBLISH [MQTT-4.3.3], found by message
   * id. Throws when no such packet is queued.
   */
  update(clientId: string, packet: StoredPacket): void {
    const queue = this.queues.get(clientId);
    if (packet.cmd === 'publish' && packet.brokerId !== undefined) {
      const entry = queue?.byCounter.get(counterKey(packet.brokerId, packet.brokerCounter ?? 0));
      if (queue && entry) {
        this.setMessageId(queue, entry, packet.messageId);
        if (entry.packet) entry.packet.messageId = packet.messageId;
        if (entry.written) this.writer.stage(() => !entry.removed && this.updateId.run(packet.messageId ?? null, entry.seq));
        return;
      }
    }
    const entry = packet.messageId === undefined ? undefined : queue?.byMessageId.get(packet.messageId);
    if (queue && entry) {
      queue.byCounter.delete(counterKey(entry.brokerId, entry.brokerCounter));
      const copy = { ...packet };
      entry.brokerId = copy.brokerId ?? '';
      entry.brokerCounter = copy.brokerCounter ?? 0;
      // A PUBREL is found by message id only: it is not indexed by counter.
      if (copy.cmd === 'publish') queue.byCounter.set(counterKey(entry.brokerId, entry.brokerCounter), entry);
      if (entry.packet) entry.packet = copy;
      if (entry.written) {
        const encoded = encodePacket(copy);
        this.writer.stage(
          () => !entry.removed && this.replace.run(entry.brokerId, entry.brokerCounter, copy.messageId ?? null, encoded.payload, encoded.meta, entry.seq),
        );
      }
      return;
    }
    throw new Error('no such packet');
  }

  /** Removes the packet with `messageId` and returns it, or undefined when there is none. */
  clear(clientId: string, messageId: number | undefined): StoredPacket | undefined {
    const queue = this.queues.get(clientId);
    const entry = messageId === undefined ? undefined : queue?.byMessageId.get(messageId);
    if (!queue || !entry) return undefined;
    const packet = entry.packet ?? this.read(entry);
    this.unindex(queue, entry);
    if (entry.written) this.writer.stage(() => this.remove.run(entry.seq));
    return packet;
  }

  /** Every queued packet of a client, oldest first. */
  stream(clientId: string): Readable {
    const entries = [...(this.queues.get(clientId)?.entries.values() ?? [])];
    const read = (entry: Entry) => this.read(entry);
    function* packets(): Generator<StoredPacket> {
      for (const entry of entries) {
        if (entry.removed) continue;
        const packet = read(entry);
        if (packet) yield packet;
      }
    }
    return Readable.from(packets());
  }

  /** Drops every queued message of a client (a clean session). */
  cleanClient(clientId: string): void {
    const queue = this.queues.get(clientId);
    if (!queue) return;
    for (const entry of queue.entries.values()) entry.removed = true;
    this.queues.delete(clientId);
    this.writer.stage(() => this.removeClient.run(clientId));
  }

  /**
   * Deletes up to `limit` of the oldest rows, whoever they are queued for, and returns how many were
   * deleted. Only those still queued count as dropped: a row whose delete is still staged (delivered,
   * or dropped before a batch that failed) is not counted twice.
   */
  dropOldestWritten(limit: number): number {
    const rows = this.oldest.all(limit) as Array<{ seq: number; client_id: string }>;
    for (const row of rows) {
      const queue = this.queues.get(row.client_id);
      const entry = queue?.entries.get(row.seq);
      if (queue && entry) {
        this.unindex(queue, entry);
        this.stats.droppedSizeLimit++;
      }
      this.remove.run(row.seq);
    }
    return rows.length;
  }

  /** A copy: callers (aedes) set message ids on what they get. */
  private read(entry: Entry): StoredPacket | undefined {
    if (entry.packet) return { ...entry.packet, messageId: entry.messageId };
    const row = this.selectPacket.get(entry.seq) as { payload: Buffer; meta: string } | undefined;
    if (!row) return undefined;
    const packet = decodePacket(row.payload, row.meta);
    packet.messageId = entry.messageId;
    return packet;
  }

  private write(entry: Entry): void {
    const packet = entry.packet;
    if (entry.removed || !packet) return;
    const encoded = encodePacket(packet);
    this.insert.run(entry.seq, entry.clientId, entry.brokerId, entry.brokerCounter, entry.messageId ?? null, encoded.payload, encoded.meta);
  }

  private dropOldest(queue: ClientQueue, clientId: string): void {
    const oldest = queue.entries.values().next().value;
    if (!oldest) return;
    this.unindex(queue, oldest);
    if (oldest.written) this.writer.stage(() => this.remove.run(oldest.seq));
    this.stats.droppedPerClientLimit++;
    if (this.stats.droppedPerClientLimit % 1000 === 1) {
      this.log.warn(
        { clientId, limit: this.maxPerClient, dropped: this.stats.droppedPerClientLimit },
        'offline queue full: oldest message dropped',
      );
    }
  }

  private queue(clientId: string): ClientQueue {
    let queue = this.queues.get(clientId);
    if (!queue) {
      queue = new ClientQueue();
      this.queues.set(clientId, queue);
    }
    return queue;
  }

  private index(entry: Entry): void {
    const queue = this.queue(entry.clientId);
    queue.entries.set(entry.seq, entry);
    queue.byCounter.set(counterKey(entry.brokerId, entry.brokerCounter), entry);
    if (entry.messageId !== undefined) queue.byMessageId.set(entry.messageId, entry);
  }

  private setMessageId(queue: ClientQueue, entry: Entry, messageId: number | undefined): void {
    if (entry.messageId !== undefined && queue.byMessageId.get(entry.messageId) === entry) queue.byMessageId.delete(entry.messageId);
    entry.messageId = messageId;
    if (messageId !== undefined) queue.byMessageId.set(messageId, entry);
  }

  private unindex(queue: ClientQueue, entry: Entry): void {
    entry.removed = true;
    queue.entries.delete(entry.seq);
    if (queue.byCounter.get(counterKey(entry.brokerId, entry.brokerCounter)) === entry) {
      queue.byCounter.delete(counterKey(entry.brokerId, entry.brokerCounter));
    }
    if (entry.messageId !== undefined && queue.byMessageId.get(entry.messageId) === entry) queue.byMessageId.delete(entry.messageId);
  }
}
