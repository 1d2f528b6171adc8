import { join } from 'node:path';
import type { StoreConfig } from '../../schemas/gateway.ts';
import type { Logger } from '../log.ts';
import { openDatabase, type SqliteDatabase } from './database.ts';
import type { StoredPacket } from './packet-codec.ts';
import { SqlitePersistence } from './persistence.ts';
import { SizeGuard } from './size-guard.ts';

export const DATABASE_FILE = 'gateway.db';

/** The durable store: one SQLite file under the data directory. */
export interface Store {
  readonly persistence: SqlitePersistence;
  readonly file: string;
  readonly database: SqliteDatabase;
  readonly sizeGuard: SizeGuard;
  /**
   * Publishes what a crash left behind: journaled publishes, and the wills of clients that were
   * connected, each through `admitWill` (the checks a client's publish goes through), which may refuse it.
   */
  recover(
    publish: (packet: StoredPacket) => Promise<void>,
    admitWill: (will: StoredPacket) => StoredPacket | undefined,
  ): Promise<{ publishes: number; wills: number }>;
  close(): Promise<void>;
}

export function openStore(config: StoreConfig, dataDir: string, log: Logger): Store {
  const file = join(dataDir, DATABASE_FILE);
  const db = openDatabase(file, config.durability);
  const persistence = new SqlitePersistence({ db, log, maxQueuedPerClient: config.maxQueuedPerClient, ownsDatabase: true });
  const guard = new SizeGuard(db, persistence.outgoing, config.maxSizeMB * 1024 * 1024, log);
  persistence.writer.keepSpace(guard);
  log.info({ file, durability: config.durability, retained: persistence.retained.size }, 'store open');
  return {
    persistence,
    file,
    database: db,
    sizeGuard: guard,
    async recover(publish, admitWill) {
      const publishes = persistence.journal.unfinished();
      for (const packet of publishes) await publish(packet);
      const wills: StoredPacket[] = [];
      for await (const will of persistence.streamWill({})) wills.push(will as StoredPacket);
      for (const will of wills) {
        const admitted = admitWill(will);
        if (admitted) await publish(admitted);
        else log.warn({ clientId: will.clientId, topic: will.topic }, 'stored will refused');
        await persistence.delWill({ id: String(will.clientId) });
      }
      if (publishes.length + wills.length > 0) {
        log.warn({ publishes: publishes.length, wills: wills.length }, 'recovered after an unclean stop');
      }
      return { publishes: publishes.length, wills: wills.length };
    },
    async close() {
      guard.stop();
      await persistence.destroy();
    },
  };
}
