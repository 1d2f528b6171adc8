import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../shared/errors.ts';
import { diskBudget } from '../../src/store/size-guard.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { makeTempDir, type TempDir } from '../helpers/temp-dir.ts';

let store: Store | undefined;
let dir: TempDir | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  dir?.remove();
  dir = undefined;
});

const MB = 1024 * 1024;

describe('the disk budget of store.maxSizeMB', () => {
  it('leaves the rows what the WAL and two batches do not take', () => {
    expect(diskBudget(20 * MB)).toEqual({ walBytes: 2 * MB, batchBytes: 1 * MB, dataBytes: 16 * MB });
    expect(diskBudget(1024 * MB)).toEqual({ walBytes: 4 * MB, batchBytes: 1 * MB, dataBytes: 1018 * MB });
    const small = diskBudget(1 * MB);
    expect(small.walBytes + 2 * small.batchBytes + small.dataBytes).toBe(1 * MB);
    expect(small.dataBytes).toBeGreaterThan(0.7 * MB);
  });

  it('keeps retained values over the limit, and says so with UNS_ERR_STORE_OVER_LIMIT', async () => {
    dir = makeTempDir();
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    store = openStore(
      { dataDir: dir.path, engine: 'sqlite', durability: 'normal', maxQueuedPerClient: 10, maxSizeMB: 1 },
      dir.path,
      pino({ level: 'warn' }, sink),
    );
    const payload = Buffer.alloc(8 * 1024, 'r');
    for (let i = 0; i < 200; i++) store.persistence.retained.store({ cmd: 'publish', topic: `plant/tag${i}`, payload, qos: 1, retain: true }, true);
    store.persistence.writer.flush();

    expect(store.sizeGuard.check()).toBe(0);
    expect(store.sizeGuard.usedBytes()).toBeGreaterThan(store.sizeGuard.dataBudgetBytes);
    expect(store.persistence.retained.size).toBe(200);
    const warning = lines.find((line) => line.code === ErrorCodes.STORE_OVER_LIMIT);
    expect(warning?.msg).toMatch(/no queued message left to drop .* raise store\.maxSizeMB/);
    expect(store.sizeGuard.check()).toBe(0);
    expect(lines.filter((line) => line.code === ErrorCodes.STORE_OVER_LIMIT)).toHaveLength(1);
  });
});
