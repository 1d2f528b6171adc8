import { join } from 'node:path';
import type { StoreConfig } from '../../schemas/gateway.ts';
import { ErrorCodes } from '../../shared/errors.ts';
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
   * Cleans and publishes what a crash left behind: retained messages on topics no client could publish
   * to are deleted; journaled publishes, and the wills of clients that were connected, are published
   * again if `admit` lets them through. What cannot be published is logged, dropped and counted: nothing
   * stored may stop a start.
   */
  recover(options: RecoveryOptions): Promise<RecoveryReport>;
  close(): Promise<void>;
}

export interface RecoveryOptions {
  publish: (packet: StoredPacket) => Promise<void>;
  /** The packet as it may be published again, or why it may not be. */
  admit: (packet: StoredPacket) => StoredPacket | string;
  /** Why a retained message's topic is invalid, or undefined. */
  retainedTopicProblem: (topic: string) => string | undefined;
}

export interface RecoveryReport {
  publishes: number;
  wills: number;
  /** Stored items that could not be published again, or retained messages on invalid topics. */
  dropped: number;
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
    async recover({ publish, admit, retainedTopicProblem }) {
      let dropped = 0;
      const drop = (kind: string, packet: { topic: string; clientId?: string | undefined }, reason: string) => {
        dropped++;
        log.warn({ code: ErrorCodes.RECOVERY_DROPPED, kind, clientId: packet.clientId, topic: packet.topic.slice(0, 200) }, `stored ${kind} dropped: ${reason}`);
      };
      for (const purged of persistence.retained.purge(retainedTopicProblem)) drop('retained message', purged, purged.problem);
      const replay = async (kind: string, packet: StoredPacket) => {
        const admitted = admit(packet);
        if (typeof admitted === 'string') {
          drop(kind, packet, admitted);
          return false;
        }
        try {
          await publish(admitted);
          return true;
        } catch (error) {
          drop(kind, packet, (error as Error).message);
          return false;
        }
      };
      const publishes = persistence.unfinishedPublishes();
      for (const packet of publishes) if (!(await replay('publish', packet))) persistence.journal.abandon(packet);
      const wills: StoredPacket[] = [];
      for await (const will of persistence.streamWill({})) wills.push(will as StoredPacket);
      for (const will of wills) {
        await replay('will', will);
        await persistence.delWill({ id: String(will.clientId) });
      }
      const report = { publishes: publishes.length, wills: wills.length, dropped };
      if (publishes.length + wills.length + dropped > 0) log.warn(report, 'recovered after an unclean stop');
      return report;
    },
    async close() {
      guard.stop();
      await persistence.destroy();
    },
  };
}
