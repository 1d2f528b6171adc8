import { ErrorCodes, GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SqliteDatabase } from './database.ts';

/** One write, run inside the next batch transaction. */
export type WriteOp = () => void;

interface Staged {
  run: WriteOp;
  /** Called once the transaction that ran `run` has committed. */
  committed: (() => void) | undefined;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface BatchWriterOptions {
  /** Longest a write that nobody waits for may wait for its batch (a durable write flushes at once). */
  lazyMs: number;
  /** Wait between attempts while the database cannot be written. */
  retryMs: number;
  /** Writes kept for retry while failing; beyond it the oldest are dropped and counted. */
  maxPendingOps: number;
}

export interface WriterStats {
  batches: number;
  failures: number;
  droppedOps: number;
  failing: boolean;
}

/** Errors that mean "the disk or file cannot take writes now", worth retrying later. */
function isIoError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|PERM)/.test(code);
}

/**
 * Group commit: every write staged during one turn of the event loop goes into one transaction,
 * so that one fsync covers them all. `durable()` resolves only after that transaction committed.
 * While the disk cannot be written, durable writes fail at once, staged ones wait for a retry.
 */
export class BatchWriter {
  private ops: Staged[] = [];
  private waiters: Waiter[] = [];
  private scheduled: 'soon' | 'lazy' | undefined;
  private lazyTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: WriterStats = { batches: 0, failures: 0, droppedOps: 0, failing: false };

  constructor(
    private readonly db: SqliteDatabase,
    private readonly log: Logger,
    private readonly options: BatchWriterOptions = { lazyMs: 50, retryMs: 1000, maxPendingOps: 200_000 },
  ) {}

  /**
   * Stages a write nobody waits for (a retained value, a queue update): it goes with the next durable
   * write's batch, or within `lazyMs`. A message queued and acknowledged inside that time never
   * reaches the disk.
   */
  stage(run: WriteOp, committed?: () => void): void {
    this.ops.push({ run, committed });
    this.schedule('lazy');
  }

  /** Stages `op` (if any) and resolves once it, and everything staged before it, is committed. */
  durable(op?: WriteOp): Promise<void> {
    if (this.stats.failing || this.closed) {
      return Promise.reject(new GatewayError(ErrorCodes.STORE_WRITE, 'the store cannot be written at the moment'));
    }
    if (op) this.ops.push({ run: op, committed: undefined });
    this.schedule('soon');
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Commits what is staged now, synchronously (before a read that must see it). */
  flush(): void {
    this.scheduled = undefined;
    clearTimeout(this.lazyTimer);
    if (this.ops.length === 0) {
      this.settle();
      return;
    }
    const ops = this.ops;
    this.ops = [];
    try {
      this.db.transaction(() => {
        for (const op of ops) op.run();
      })();
      this.stats.batches++;
      for (const op of ops) op.committed?.();
      if (this.stats.failing) {
        this.stats.failing = false;
        this.log.warn({ code: ErrorCodes.STORE_WRITE, failures: this.stats.failures }, 'store writable again');
      }
      this.settle();
    } catch (error) {
      this.fail(ops, error);
    }
  }

  close(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.lazyTimer);
    if (!this.stats.failing) this.flush();
    this.closed = true;
    this.settle(new GatewayError(ErrorCodes.STORE_WRITE, 'store closed'));
  }

  private schedule(when: 'soon' | 'lazy'): void {
    if (this.stats.failing || this.closed || this.scheduled === 'soon' || this.scheduled === when) return;
    if (when === 'lazy') {
      this.scheduled = 'lazy';
      this.lazyTimer = setTimeout(() => this.flush(), this.options.lazyMs);
      return;
    }
    clearTimeout(this.lazyTimer);
    this.scheduled = 'soon';
    setImmediate(() => this.flush());
  }

  private settle(error?: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  }

  private fail(ops: Staged[], error: unknown): void {
    this.stats.failures++;
    const failure = new GatewayError(ErrorCodes.STORE_WRITE, `store write failed: ${(error as Error).message}`, {
      sqlite: (error as { code?: string }).code,
    });
    this.settle(failure);
    if (!isIoError(error)) {
      this.log.error({ code: failure.code, err: (error as Error).message, ops: ops.length }, 'store write failed; batch dropped');
      return;
    }
    this.ops = ops.concat(this.ops);
    const excess = this.ops.length - this.options.maxPendingOps;
    if (excess > 0) {
      this.ops.splice(0, excess);
      this.stats.droppedOps += excess;
    }
    if (!this.stats.failing) {
      this.stats.failing = true;
      this.log.error(
        { code: failure.code, err: (error as Error).message, pending: this.ops.length },
        'store cannot be written: QoS 0 traffic goes on, QoS 1/2 publishes are refused until it recovers',
      );
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.flush(), this.options.retryMs);
    this.retryTimer.unref();
  }
}
