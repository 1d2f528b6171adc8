// Runs aedes-persistence's own abstract suite, unedited, against the SQLite persistence.
// It is written for node:test, so `npm test` runs this file with `node --test`, beside vitest.
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { openDatabase } from '../../src/store/database.ts';
import { SqlitePersistence } from '../../src/store/persistence.ts';
import { createLogger } from '../../src/log.ts';

const require = createRequire(import.meta.url);
const abstract = require('aedes-persistence/abstract.js') as (options: {
  test: typeof test;
  persistence: () => SqlitePersistence;
  testAsync: boolean;
}) => void;

const log = createLogger('silent');

abstract({
  test,
  // A fresh in-memory database per case: the suite expects every instance to start empty.
  persistence: () => new SqlitePersistence({ db: openDatabase(':memory:', 'full'), log, maxQueuedPerClient: 1_000_000, ownsDatabase: true }),
  testAsync: true,
});
