import { statSync } from 'node:fs';
import type { Registry } from 'prom-client';
import { COMMIT_LATENCY_BUCKETS_MS } from '../store/batch-writer.ts';
import type { Store } from '../store/store.ts';
import { BucketHistogram } from './bucket-histogram.ts';
import { collectedCounter, collectedGauge } from './collected.ts';

function fileBytes(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The SQLite store's metrics, read when scraped. */
export function storeMetrics(registry: Registry, store: Store): void {
  const { writer, journal } = store.persistence;
  collectedGauge(registry, { name: 'uns_store_database_bytes', help: 'Size of the database file' }, () => fileBytes(store.file));
  collectedGauge(registry, { name: 'uns_store_wal_bytes', help: 'Size of the write-ahead log file' }, () => fileBytes(`${store.file}-wal`));
  const commits = { name: 'uns_store_commit_duration_seconds', help: 'Time to commit one batch of writes, its fsync included' };
  new BucketHistogram(registry, commits, COMMIT_LATENCY_BUCKETS_MS, () => [{ labels: {}, buckets: writer.commitLatency }]);
  const depth = { name: 'uns_store_journal_entries', help: 'QoS 1/2 publishes acknowledged and not yet handed to every store that takes them' };
  collectedGauge(registry, depth, () => journal.depth);
  collectedGauge(registry, { name: 'uns_store_writable', help: '1 while the store accepts writes, 0 while they fail (a full disk)' }, () => (writer.stats.failing ? 0 : 1));
  collectedCounter(registry, { name: 'uns_store_write_failures_total', help: 'Batches that failed to commit' }, () => writer.stats.failures);
}
