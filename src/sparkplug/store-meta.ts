import type { SqliteDatabase } from '../store/database.ts';

/** A key in the store's `store_meta` table: what the edge node keeps across starts (bdSeq, a pending NDEATH). */
export interface MetaValue {
  get(): string | undefined;
  put(value: string): void;
  remove(): void;
}

export function metaValue(db: SqliteDatabase, key: string): MetaValue {
  const read = db.prepare('SELECT value FROM store_meta WHERE key = ?');
  const write = db.prepare('INSERT OR REPLACE INTO store_meta (key, value) VALUES (?, ?)');
  const remove = db.prepare('DELETE FROM store_meta WHERE key = ?');
  return {
    get: () => (read.get(key) as { value: string } | undefined)?.value,
    put: (value) => void write.run(key, value),
    remove: () => void remove.run(key),
  };
}

/** The next birth/death sequence number (0–255) under `key`, one more than the last one taken, and takes it. */
export function takeBdSeq(value: MetaValue | undefined): number {
  if (value === undefined) return 0;
  const last = value.get();
  const next = last === undefined ? 0 : (Number(last) + 1) % 256;
  value.put(String(next));
  return next;
}
