import type { Logger } from '../log.ts';
import type { SqliteDatabase } from './database.ts';
import type { OutgoingQueues } from './outgoing.ts';

const CHECK_EVERY_MS = 1000;
const DROP_CHUNK = 50;

/**
 * Keeps the database under its size limit: when the pages in use pass it, the oldest queued
 * messages go first, whoever they were for. Retained values and subscriptions are never dropped.
 */
export class SizeGuard {
  private readonly timer: NodeJS.Timeout;
  private readonly pageSize: number;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly queues: OutgoingQueues,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * this.pageSize;
  }

  /** Drops the oldest queued messages until the store is under its limit; returns how many. */
  check(): number {
    let dropped = 0;
    try {
      while (this.usedBytes() > this.maxBytes) {
        const count = this.db.transaction(() => this.queues.dropOldestWritten(DROP_CHUNK))();
        if (count === 0) break;
        dropped += count;
      }
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'store size check failed');
    }
    if (dropped > 0) {
      this.log.warn(
        { dropped, total: this.queues.stats.droppedSizeLimit, limitBytes: this.maxBytes },
        'store size limit reached: oldest queued messages dropped',
      );
    }
    return dropped;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
