import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes } from '../../shared/errors.ts';
import { GatewayError } from '../errors.ts';
import { MIGRATIONS } from './migrations.ts';

export type SqliteDatabase = Database.Database;
export type Durability = 'full' | 'normal';

function sqliteCode(error: unknown): string {
  return (error as { code?: string }).code ?? '';
}

/** Turns an SQLite failure at open into an error that says what to do. */
function openError(file: string, error: unknown): GatewayError {
  const code = sqliteCode(error);
  const reason = (error as Error).message;
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new GatewayError(
      ErrorCodes.STORE_CORRUPT,
      `store ${file} is not a valid SQLite database (${reason}); move it aside and the gateway starts with an empty store`,
      { file, sqlite: code },
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'SQLITE_CANTOPEN') {
    return new GatewayError(
      ErrorCodes.STORE_READONLY,
      `store ${file} cannot be written (${reason}); check the permissions of the file and its folder, and the free space`,
      { file, sqlite: code },
    );
  }
  return new GatewayError(ErrorCodes.STORE_OPEN, `store ${file} cannot be opened: ${reason}`, { file, sqlite: code });
}

/** Opens (or creates) the one SQLite file, in WAL mode, and brings its schema up to date. */
export function openDatabase(file: string, durability: Durability): SqliteDatabase {
  let db: SqliteDatabase | undefined;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    migrate(db);
    // A real write proves the file can be written before anything is served.
    db.prepare("INSERT OR REPLACE INTO store_meta (key, value) VALUES ('opened_at', ?)").run(new Date().toISOString());
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof GatewayError) throw error;
    throw openError(file, error);
  }
}

function migrate(db: SqliteDatabase): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let index = version; index < MIGRATIONS.length; index++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[index] ?? '');
      db.pragma(`user_version = ${index + 1}`);
    })();
  }
}
