import { Readable } from 'node:stream';
import type { BatchWriter } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import { decodePacket, encodePacket, rowBytes, type StoredPacket } from './packet-codec.ts';

/** Last wills of connected clients, so that a will survives a restart of the gateway. */
export class WillStore {
  private readonly byClient = new Map<string, StoredPacket>();
  private readonly upsert;
  private readonly remove;

  constructor(db: SqliteDatabase, private readonly writer: BatchWriter) {
    this.upsert = db.prepare('INSERT OR REPLACE INTO wills (client_id, payload, meta) VALUES (?, ?, ?)');
    this.remove = db.prepare('DELETE FROM wills WHERE client_id = ?');
    const rows = db.prepare('SELECT client_id, payload, meta FROM wills').iterate() as Iterable<{
      client_id: string;
      payload: Buffer;
      meta: string;
    }>;
    for (const row of rows) this.byClient.set(row.client_id, decodePacket(row.payload, row.meta));
  }

  put(clientId: string, packet: StoredPacket): void {
    this.byClient.set(clientId, packet);
    const encoded = encodePacket(packet);
    this.writer.stage(() => this.upsert.run(clientId, encoded.payload, encoded.meta), undefined, rowBytes(encoded.payload.length, packet.topic));
  }

  get(clientId: string): StoredPacket | undefined {
    return this.byClient.get(clientId);
  }

  delete(clientId: string): StoredPacket | undefined {
    const will = this.byClient.get(clientId);
    if (will === undefined) return undefined;
    this.byClient.delete(clientId);
    this.writer.stage(() => this.remove.run(clientId));
    return will;
  }

  /** Wills whose broker is not in `liveBrokers`. */
  stream(liveBrokers: Record<string, unknown>): Readable {
    const wills = [...this.byClient.values()].filter((will) => !liveBrokers[will.brokerId ?? '']);
    return Readable.from(wills);
  }
}
