import { Buckets } from '../../shared/buckets.ts';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SqliteDatabase } from './database.ts';

/** One write, run inside the next batch transaction. */
export type WriteOp = () => void;

interface Staged {
  run: WriteOp;
  /** Called once the transaction that ran `run` has committed. */
  committed: (() => void) | undefined;
  /** Kept for a retry when its batch fails; false for writes whose caller was told they failed. */
  retry: boolean;
  /** About how many bytes of rows it adds. */
  bytes: number;
}

/** What a durable write does when the store cannot be written. */
export type OnFailure = 'abandon' | 'retry';

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

/** Keeps the database within its disk budget; the writer calls it around every batch. */
export interface SpaceKeeper {
  /** Bytes a lane may hold: once it does, it is written at once, so that no batch is much larger. */
  readonly batchBytes: number;
  /** Runs first inside every batch transaction: makes room for about `bytes` of new rows. */
  makeRoom(bytes: number): void;
  /** Runs after every committed batch. */
  committed(): void;
}

export interface WriterStats {
  batches: number;
  failures: number;
  droppedOps: number;
  failing: boolean;
  /** Why the last batch failed, while `failing`. */
  failure: string | undefined;
}

/** Upper bounds, in ms, of the commit latency buckets. */
export const COMMIT_LATENCY_BUCKETS_MS: readonly number[] = [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500];

/** Errors that mean "the disk or file cannot take writes now", worth retrying later. */
function isIoError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|PERM)/.test(code);
}

/**
 * Group commit in two lanes. Durable writes made during one turn of the event loop go into one
 * transaction at the end of it, so that one fsync covers them all, and `durable()` resolves once it
 * committed. Staged writes, which nobody waits for, wait up to `lazyMs` and go together; a durable
 * flush does not take them, so that a queued message acknowledged meanwhile never reaches the disk.
 * Within each lane writes keep their order; a write that must stay ordered after a durable one goes
 * in the durable lane. While the disk cannot be written, durable writes fail at once, and what was
 * staged waits for a retry.
 */
export class BatchWriter {
  private durableOps: Staged[] = [];
  private ops: Staged[] = [];
  private waiters: Waiter[] = [];
  private lazyTimer: NodeJS.Timeout | undefined;
  private lazyPending = false;
  private lazyBytes = 0;
  private durableBytes = 0;
  private committing = false;
  private keeper: SpaceKeeper | undefined;
  private soonPending = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: WriterStats = { batches: 0, failures: 0, droppedOps: 0, failing: false, failure: undefined };
  /** How long each batch transaction took to commit (its fsync included), ms. */
  readonly commitLatency = new Buckets(COMMIT_LATENCY_BUCKETS_MS);

  constructor(
    private readonly db: SqliteDatabase,
    private readonly log: Logger,
    /** A small real write, to test the disk while failing. */
    private readonly probe: WriteOp,
    private readonly options: BatchWriterOptions = { lazyMs: 50, retryMs: 1000, maxPendingOps: 200_000 },
  ) {}

  /** From now on every batch first makes room through `keeper`, and tells it when it committed. */
  keepSpace(keeper: SpaceKeeper): void {
    this.keeper = keeper;
  }

  /**
   * Stages a write nobody waits for (a retained value, a queue update): it goes with the next durable
   * write's batch, or within `lazyMs`, or at once when the lane holds the space keeper's `batchBytes`.
   * A message queued and acknowledged inside that time never reaches the disk. `bytes` is about how
   * much the write adds to the database.
   */
  stage(run: WriteOp, committed?: () => void, bytes = 0): void {
    this.ops.push({ run, committed, retry: true, bytes });
    this.lazyBytes += bytes;
    if (this.full(this.lazyBytes)) this.flush();
    else this.schedule('lazy');
  }

  /**
   * Runs `op` in the next durable batch, at the end of this turn of the event loop; resolves once
   * committed. When the store cannot be written it rejects; `onFailure` says whether the write is then
   * abandoned (the caller undoes what it promised: a refused publish) or kept for the retry, in order
   * (a delete that must not come back after a restart). `bytes` is about how much it adds to the database.
   */
  durable(op: WriteOp, onFailure: OnFailure = 'abandon', bytes = 0): Promise<void> {
    const retry = onFailure === 'retry';
    if (this.stats.failing || this.closed) {
      if (retry && !this.closed) this.ops.push({ run: op, committed: undefined, retry, bytes });
      return Promise.reject(new GatewayError(ErrorCodes.STORE_WRITE, 'the store cannot be written at the moment'));
    }
    this.durableOps.push({ run: op, committed: undefined, retry, bytes });
    this.durableBytes += bytes;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.full(this.durableBytes)) this.flushDurable();
    else this.schedule('soon');
    return done;
  }

  /** Whether a lane holding `bytes` is to be written now (never from inside a commit). */
  private full(bytes: number): boolean {
    return this.keeper !== undefined && bytes >= this.keeper.batchBytes && !this.committing && !this.stats.failing && !this.closed;
  }

  /** Commits everything waiting, both lanes, synchronously. */
  flush(): void {
    clearTimeout(this.lazyTimer);
    this.lazyPending = false;
    const ops = this.durableOps.concat(this.ops);
    this.durableOps = [];
    this.ops = [];
    this.durableBytes = 0;
    this.lazyBytes = 0;
    this.commit(ops);
  }

  private flushDurable(): void {
    const ops = this.durableOps;
    this.durableOps = [];
    this.durableBytes = 0;
    this.commit(ops);
  }

  private commit(ops: Staged[]): void {
    this.committing = true;
    try {
      // While failing with nothing left to retry, a probe write tells whether the disk takes writes again.
      const run = ops.length === 0 && this.stats.failing ? [{ run: this.probe, committed: undefined, retry: false, bytes: 0 }] : ops;
      if (run.length > 0) {
        const keeper = this.keeper;
        const started = performance.now();
        this.db.transaction(() => {
          keeper?.makeRoom(run.reduce((sum, op) => sum + op.bytes, 0));
          for (const op of run) op.run();
        })();
        this.commitLatency.observe(performance.now() - started);
        this.stats.batches++;
        for (const op of run) op.committed?.();
        keeper?.committed();
      }
      if (this.stats.failing) {
        this.stats.failing = false;
        this.stats.failure = undefined;
        this.log.warn({ code: ErrorCodes.STORE_WRITE, failures: this.stats.failures }, 'store writable again');
      }
      this.committing = false;
      this.settle();
    } catch (error) {
      this.committing = false;
      this.fail(ops, error);
    }
  }

  close(): void {
    clearTimeout(this.retryTimer);
    if (!this.stats.failing) this.flush();
    clearTimeout(this.lazyTimer);
    this.closed = true;
    this.settle(new GatewayError(ErrorCodes.STORE_WRITE, 'store closed'));
  }

  private schedule(when: 'soon' | 'lazy'): void {
    if (this.stats.failing || this.closed) return;
    if (when === 'lazy' && !this.lazyPending) {
      this.lazyPending = true;
      this.lazyTimer = setTimeout(() => {
        this.lazyPending = false;
        this.flush();
      }, this.options.lazyMs);
    }
    if (when === 'soon' && !this.soonPending) {
      this.soonPending = true;
      setImmediate(() => {
        this.soonPending = false;
        this.flushDurable();
      });
    }
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
    this.ops = ops.filter((op) => op.retry && op.run !== this.probe).concat(this.ops);
    this.lazyBytes = 0;
    const excess = this.ops.length - this.options.maxPendingOps;
    if (excess > 0) {
      this.ops.splice(0, excess);
      this.stats.droppedOps += excess;
    }
    this.stats.failure = (error as Error).message;
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
