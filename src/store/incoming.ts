import type { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import { decodePacket, encodePacket, normalizePacket, rowBytes, type StoredPacket } from './packet-codec.ts';

/** QoS 2 packets received and not yet released (PUBREL): the broker's duplicate filter. */
export class IncomingStore {
  private readonly byClient = new Map<string, Map<number, StoredPacket>>();
  private readonly insert;
  private readonly remove;
  private readonly removeClient;

  constructor(db: SqliteDatabase, private readonly writer: BatchWriter) {
    this.insert = db.prepare('INSERT OR REPLACE INTO incoming (client_id, message_id, payload, meta) VALUES (?, ?, ?, ?)');
    this.remove = db.prepare('DELETE FROM incoming WHERE client_id = ? AND message_id = ?');
    this.removeClient = db.prepare('DELETE FROM incoming WHERE client_id = ?');
    const rows = db.prepare('SELECT client_id, message_id, payload, meta FROM incoming').iterate() as Iterable<{
      client_id: string;
      message_id: number;
      payload: Buffer;
      meta: string;
    }>;
    for (const row of rows) this.packets(row.client_id).set(row.message_id, decodePacket(row.payload, row.meta));
  }

  /** Durable before it resolves: PUBREC follows it. */
  store(clientId: string, packet: StoredPacket, messageId: number): Promise<void> {
    const copy = normalizePacket(packet);
    copy.messageId = messageId;
    const encoded = encodePacket(copy);
    // Known only once durable: a refused QoS 2 publish must not look received when the client sends it again.
    const bytes = rowBytes(encoded.payload.length, copy.topic);
    return this.writer.durable(() => this.insert.run(clientId, messageId, encoded.payload, encoded.meta), 'abandon', bytes).then(() => {
      this.packets(clientId).set(messageId, copy);
    });
  }

  get(clientId: string, messageId: number | undefined): StoredPacket | undefined {
    return messageId === undefined ? undefined : this.byClient.get(clientId)?.get(messageId);
  }

  delete(clientId: string, messageId: number): boolean {
    const existed = this.byClient.get(clientId)?.delete(messageId) ?? false;
    // In the durable lane, so that it stays ordered before a later store that reuses the message id.
    if (existed) this.writer.durable(() => this.remove.run(clientId, messageId), 'retry').catch(() => undefined);
    return existed;
  }

  clean(clientId: string): void {
    if (!this.byClient.delete(clientId)) return;
    this.writer.stage(() => this.removeClient.run(clientId));
  }

  private packets(clientId: string): Map<number, StoredPacket> {
    let packets = this.byClient.get(clientId);
    if (!packets) {
      packets = new Map();
      this.byClient.set(clientId, packets);
    }
    return packets;
  }
}
