/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many have run.
 * Never edit a released migration: add a new one.
 *
 * Packets are stored as their payload (BLOB) and the rest of their fields as JSON (`meta`).
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE retained (
     topic TEXT PRIMARY KEY,
     payload BLOB NOT NULL,
     meta TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE subscriptions (
     client_id TEXT NOT NULL,
     topic TEXT NOT NULL,
     meta TEXT NOT NULL,
     PRIMARY KEY (client_id, topic)
   ) WITHOUT ROWID;
   CREATE TABLE outgoing (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     client_id TEXT NOT NULL,
     broker_id TEXT NOT NULL,
     broker_counter INTEGER NOT NULL,
     message_id INTEGER,
     payload BLOB NOT NULL,
     meta TEXT NOT NULL
   );
   CREATE INDEX outgoing_by_client ON outgoing (client_id, seq);
   CREATE INDEX outgoing_by_counter ON outgoing (client_id, broker_counter);
   CREATE INDEX outgoing_by_message_id ON outgoing (client_id, message_id);
   CREATE TABLE incoming (
     client_id TEXT NOT NULL,
     message_id INTEGER NOT NULL,
     payload BLOB NOT NULL,
     meta TEXT NOT NULL,
     PRIMARY KEY (client_id, message_id)
   ) WITHOUT ROWID;
   CREATE TABLE wills (
     client_id TEXT PRIMARY KEY,
     payload BLOB NOT NULL,
     meta TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE store_meta (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE journal (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     payload BLOB NOT NULL,
     meta TEXT NOT NULL
   );`,
  // The bridges' store-and-forward queues: one row per message waiting for an upstream, in order per bridge.
  `CREATE TABLE bridge_outbox (
     bridge TEXT NOT NULL,
     seq INTEGER NOT NULL,
     topic TEXT NOT NULL,
     payload BLOB NOT NULL,
     retain INTEGER NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (bridge, seq)
   );`,
];
