import { statSync } from 'node:fs';
import { ErrorCodes } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import type { SpaceKeeper } from './batch-writer.ts';
import type { SqliteDatabase } from './database.ts';
import type { OutgoingQueues } from './outgoing.ts';

const CHECK_EVERY_MS = 1000;
const KiB = 1024;
const MiB = 1024 * KiB;
/** Rows leave part of their last page empty, and indexes take pages too: room is made for this much more. */
const PAGE_SLACK = 1.25;
/** Rows deleted by the first step of a drop; later steps size themselves on the pages a row freed. */
const FIRST_DROP_ROWS = 8;
const MAX_DROP_ROWS = 512;
/** A store that is over its limit with nothing left to drop says so at most this often. */
const STUCK_WARN_EVERY_MS = 60_000;

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, Math.floor(value)));
}

function fileBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * How `store.maxSizeMB` is split. The WAL is checkpointed once it holds `walBytes`, and may hold one
 * more batch by then; the writer keeps batches near `batchBytes`. Rows in the database file (free
 * pages are reused, so the file does not grow past its rows) stay within what is left, less one more
 * batch for the rows being larger on their pages than made room for.
 */
export function diskBudget(maxBytes: number): { walBytes: number; batchBytes: number; dataBytes: number } {
  const walBytes = clamp(maxBytes / 10, 64 * KiB, 4 * MiB);
  const batchBytes = clamp(maxBytes / 20, 32 * KiB, 1 * MiB);
  return { walBytes, batchBytes, dataBytes: maxBytes - walBytes - 2 * batchBytes };
}

export interface DiskStats {
  /** Largest database file plus WAL seen: after a batch, and during a checkpoint (file grown, WAL not yet cut). */
  peakBytes: number;
  /** WAL checkpoints that truncated it. */
  checkpoints: number;
}

/**
 * Keeps the files on disk (database and WAL) within `store.maxSizeMB`. Every batch first makes room for
 * what it writes by dropping the oldest queued messages, whoever they were for, inside its own
 * transaction, so the pages they free take the new rows; retained values and subscriptions are never
 * dropped. After a batch, a WAL past its share is checkpointed and truncated, and so is any WAL left
 * when the store is idle. A file left larger than the limit (by an older version, or a lowered limit)
 * is compacted once at open.
 */
export class SizeGuard implements SpaceKeeper {
  readonly batchBytes: number;
  readonly walLimitBytes: number;
  readonly dataBudgetBytes: number;
  readonly stats: DiskStats = { peakBytes: 0, checkpoints: 0 };
  private readonly timer: NodeJS.Timeout;
  private readonly pageSize: number;
  private readonly file: string | undefined;
  private batchesSinceTick = 0;
  private droppedSinceReport = 0;
  private stuckBytes = 0;
  private stuckWarnedAt = -Infinity;
  private failureWarnedAt = -Infinity;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly queues: OutgoingQueues,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {
    const budget = diskBudget(maxBytes);
    this.batchBytes = budget.batchBytes;
    this.walLimitBytes = budget.walBytes;
    this.dataBudgetBytes = budget.dataBytes;
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    this.file = db.memory ? undefined : db.name;
    db.pragma(`journal_size_limit = ${this.walLimitBytes}`);
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.floor(this.walLimitBytes / this.pageSize))}`);
    this.check();
    this.compactIfBloated();
    this.timer = setInterval(() => this.tick(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  /** Bytes in pages that hold data (free pages excluded). */
  usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * this.pageSize;
  }

  /** Inside a batch transaction, before its writes: drops the oldest queued messages until `bytes` more fit. */
  makeRoom(bytes: number): void {
    this.droppedSinceReport += this.dropUntil(this.dataBudgetBytes - bytes * PAGE_SLACK);
  }

  committed(): void {
    this.batchesSinceTick++;
    this.trimWal();
  }

  /** Drops the oldest queued messages until the rows are within their budget; returns how many. */
  check(): number {
    let dropped = 0;
    try {
      dropped = this.db.transaction(() => this.dropUntil(this.dataBudgetBytes))();
      this.trimWal();
    } catch (error) {
      this.log.error({ err: (error as Error).message }, 'store size check failed');
    }
    this.droppedSinceReport += dropped;
    this.report();
    return dropped;
  }

  stop(): void {
    clearInterval(this.timer);
    this.report();
  }

  private tick(): void {
    const idle = this.batchesSinceTick === 0;
    this.batchesSinceTick = 0;
    this.check();
    if (idle && this.walBytes() > 0) this.checkpoint();
  }

  /** Returns how many queued messages were dropped. */
  private dropUntil(targetBytes: number): number {
    const before = this.queues.stats.droppedSizeLimit;
    let rows = FIRST_DROP_ROWS;
    let used = this.usedBytes();
    while (used > targetBytes) {
      const deleted = this.queues.dropOldestWritten(rows);
      if (deleted === 0) break;
      const now = this.usedBytes();
      const perRow = Math.max(this.pageSize, (used - now) / deleted);
      rows = clamp((now - targetBytes) / perRow + 1, 1, MAX_DROP_ROWS);
      used = now;
    }
    this.stuckBytes = used > targetBytes ? used : 0;
    return this.queues.stats.droppedSizeLimit - before;
  }

  private walBytes(): number {
    return this.file === undefined ? 0 : fileBytes(`${this.file}-wal`);
  }

  /**
   * SQLite checkpoints the WAL itself once it holds `walLimitBytes` of pages, then writes it again from
   * its start and cuts it back to that size (journal_size_limit): reusing the file is cheaper than
   * growing it anew. Should a checkpoint not get through, the WAL is checkpointed and truncated here.
   */
  private trimWal(): void {
    if (this.file === undefined) return;
    const wal = this.walBytes();
    this.stats.peakBytes = Math.max(this.stats.peakBytes, fileBytes(this.file) + wal);
    if (wal > 2 * this.walLimitBytes) this.checkpoint();
  }

  /** A checkpoint that fails (a full disk: it grows the database file) is retried at the next one, never thrown. */
  private checkpoint(): void {
    if (this.file === undefined) return;
    const wal = this.walBytes();
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (error) {
      this.warnFailed('WAL checkpoint', error);
      return;
    }
    this.stats.checkpoints++;
    this.stats.peakBytes = Math.max(this.stats.peakBytes, fileBytes(this.file) + wal);
  }

  /**
   * Rewrites a database file larger than the guard ever lets it grow, when free pages make up the
   * difference, so that it shrinks on disk. Its rows are already within their budget.
   */
  private compactIfBloated(): void {
    if (this.file === undefined) return;
    const before = fileBytes(this.file);
    const free = (this.db.pragma('freelist_count', { simple: true }) as number) * this.pageSize;
    if (before <= this.dataBudgetBytes + this.batchBytes || free < this.batchBytes) return;
    try {
      // VACUUM needs free disk space about the size of the database.
      this.db.exec('VACUUM');
    } catch (error) {
      this.warnFailed('compaction', error);
      return;
    }
    this.checkpoint();
    this.log.info({ beforeBytes: before, afterBytes: fileBytes(this.file), limitBytes: this.maxBytes }, 'store compacted to its size limit');
  }

  private warnFailed(what: string, error: unknown): void {
    if (Date.now() - this.failureWarnedAt < STUCK_WARN_EVERY_MS) return;
    this.failureWarnedAt = Date.now();
    this.log.warn({ code: ErrorCodes.STORE_WRITE, err: (error as Error).message }, `store ${what} failed; tried again later`);
  }

  private report(): void {
    if (this.droppedSinceReport > 0) {
      this.log.warn(
        { dropped: this.droppedSinceReport, total: this.queues.stats.droppedSizeLimit, limitBytes: this.maxBytes },
        'store size limit reached: oldest queued messages dropped',
      );
      this.droppedSinceReport = 0;
    }
    if (this.stuckBytes > 0 && Date.now() - this.stuckWarnedAt >= STUCK_WARN_EVERY_MS) {
      this.stuckWarnedAt = Date.now();
      this.log.warn(
        { code: ErrorCodes.STORE_OVER_LIMIT, usedBytes: this.stuckBytes, limitBytes: this.maxBytes },
        'store is over store.maxSizeMB with no queued message left to drop (retained values, sessions and wills are kept): raise store.maxSizeMB',
      );
    }
  }
}
