/**
 * Figure 1a, in this process: the gateway's store opened as the gateway opens it (openStore, durability
 * full, store.maxSizeMB 1024, a fresh temp data dir) and one BridgeOutbox on it with the bounds of the
 * bench's bridge. `messages` appends (topic bench/area/asset/tag<n>, 60-byte JSON payload) in one
 * synchronous loop, then writer.flush(): the clock stops once every append is committed to SQLite. The
 * writer commits on its own whenever a batch reaches the size guard's batchBytes, inside the loop, so the
 * time covers the SQLite work, fsyncs included. Then the rows in bridge_outbox are counted.
 */
import path from 'node:path';
import { gatewaySchema } from '../../schemas/gateway.ts';
import { BridgeOutbox } from '../../src/bridge/outbox.ts';
import { createLogger } from '../../src/log.ts';
import { openStore } from '../../src/store/store.ts';
import { makeTempDir, removeTempDir } from '../shared/cleanup.ts';
import { payloadOf, topicOf } from './messages.ts';

export interface AppendResult {
  messages: number;
  /** Appends until the last commit returned. */
  ms: number;
  /** Of which the final flush. */
  flushMs: number;
  batches: number;
  rows: number;
}

export async function measureOutboxAppend(messages: number): Promise<AppendResult> {
  const dir = makeTempDir('uns-bench-bridge-outbox-');
  const store = openStore(
    { ...gatewaySchema.parse({}).store, durability: 'full', maxSizeMB: 1024 },
    path.join(dir, 'data'),
    createLogger('silent'),
  );
  try {
    const writer = store.persistence.writer;
    const outbox = new BridgeOutbox(
      store.database,
      writer,
      'hq',
      { maxMessages: 2_000_000, maxBytes: 400 * 1024 * 1024, maxAgeMs: 604_800_000, mode: 'history' },
      () => undefined,
    );
    // Made before the clock starts: the bench measures the outbox, not building payloads.
    const topics = Array.from({ length: Math.min(messages, 1000) }, (_, i) => topicOf(i));
    const payloads = Array.from({ length: messages }, (_, i) => payloadOf(i));
    const batchesBefore = writer.stats.batches;
    const t0 = performance.now();
    for (let i = 0; i < messages; i++) outbox.append(topics[i % topics.length] ?? '', payloads[i] ?? Buffer.alloc(0), false);
    const t1 = performance.now();
    writer.flush();
    const t2 = performance.now();
    const rows = (store.database.prepare("SELECT count(*) AS n FROM bridge_outbox WHERE bridge = 'hq'").get() as { n: number }).n;
    return { messages, ms: t2 - t0, flushMs: t2 - t1, batches: writer.stats.batches - batchesBefore, rows };
  } finally {
    await store.close();
    removeTempDir(dir);
  }
}
