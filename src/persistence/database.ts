import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

/** What the service reads back at start-up and logs, so a wrong durability setting is visible. */
export interface SqliteSettings {
  journalMode: string;
  synchronous: number;
  busyTimeoutMs: number;
  foreignKeys: number;
}

export interface OpenedDatabase {
  db: Db;
  dialect: 'sqlite';
  settings: SqliteSettings;
  /** Runs `fn` in a write transaction: BEGIN IMMEDIATE on SQLite, so a read-then-write never fails with SQLITE_BUSY. */
  writeTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens the embedded database: WAL, synchronous=FULL (a commit that was acknowledged survives power
 * loss on storage that honours fsync), a 5 s busy timeout and foreign keys on; then migrates.
 */
export async function openSqlite(file: string): Promise<OpenedDatabase> {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const native = new SqliteDatabase(file, { timeout: 5000 });
  native.pragma('journal_mode = WAL');
  native.pragma('synchronous = FULL');
  native.pragma('foreign_keys = ON');
  const settings: SqliteSettings = {
    journalMode: String(native.pragma('journal_mode', { simple: true })),
    synchronous: Number(native.pragma('synchronous', { simple: true })),
    busyTimeoutMs: Number(native.pragma('busy_timeout', { simple: true })),
    foreignKeys: Number(native.pragma('foreign_keys', { simple: true })),
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: native }) });
  await migrate(db);
  return {
    db,
    dialect: 'sqlite',
    settings,
    writeTransaction: (fn) => immediateTransaction(db, fn),
    close: () => db.destroy(),
  };
}

async function migrate(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed`, { cause: error });
  }
}

/**
 * Kysely's own transaction() issues a deferred BEGIN; SQLite needs BEGIN IMMEDIATE for a transaction
 * that writes, or a concurrent writer makes it fail at once despite the busy timeout. `connection()`
 * pins the one connection for the whole transaction.
 */
async function immediateTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin immediate`.execute(connection);
    try {
      const result = await fn(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}
