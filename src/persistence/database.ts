import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { migrateToLatest } from './migrations.js';
import type { Db, OpenedDatabase, SqliteSettings, WriteCounts } from './opened-database.js';
import { openPostgres } from './postgres.js';
import type { Database } from './schema.js';
import { SqliteFifoDialect } from './sqlite-driver.js';
import { GroupCommit, type GroupCommitHooks } from './group-commit.js';

export type { Db, OpenedDatabase, SqliteSettings, WriteCounts };
export { openPostgres };

export type DatabaseLocation = { sqliteFile: string } | { postgresUrl: string };

export function openDatabase(location: DatabaseLocation): Promise<OpenedDatabase> {
  return 'postgresUrl' in location ? openPostgres(location.postgresUrl) : openSqlite(location.sqliteFile);
}

/** Whether the database answers a query (readiness); rejects when it does not. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

/**
 * Opens the embedded database: WAL, synchronous=FULL (a commit that was acknowledged survives power
 * loss on storage that honours fsync), a 5 s busy timeout and foreign keys on; then migrates. Write
 * transactions share commits (GroupCommit), which takes BEGIN IMMEDIATE: with Kysely's own deferred BEGIN,
 * a concurrent writer in another process would make a transaction fail at once despite the busy timeout.
 * `hooks` lets a test watch the commits.
 */
export async function openSqlite(file: string, hooks: GroupCommitHooks = {}): Promise<OpenedDatabase> {
  if (file !== ':memory:') {
    mkdirSync(dirname(file), { recursive: true });
    // The database holds sealed secrets, digest verifiers and session hashes: readable by its owner only,
    // like secrets.json. SQLite creates its -wal and -shm files with the mode of the database file, so
    // creating that one 0600 (before SQLite would create it 0644) covers all three. An existing file
    // keeps the mode its operator gave it.
    closeSync(openSync(file, 'a', 0o600));
  }
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
  const db = new Kysely<Database>({ dialect: new SqliteFifoDialect(native) });
  await migrateToLatest(db, 'sqlite');
  const groupCommit = new GroupCommit(db, hooks);
  return {
    db,
    dialect: 'sqlite',
    settings,
    writeTransaction: (fn) => groupCommit.run(fn),
    writeCounts: () => groupCommit.counts,
    // Kysely's transaction issues a deferred BEGIN on the one connection, which it holds until the end.
    readTransaction: (fn) => db.transaction().execute(fn),
    // VACUUM INTO copies one read snapshot: consistent, and unlike the page-by-page backup API it does
    // not start over each time another connection writes, so it finishes under a steady write load.
    backup: async (target) => {
      // A copy of the database, so owner-only too; VACUUM INTO accepts an empty file as its target.
      closeSync(openSync(target, 'a', 0o600));
      await sql`vacuum into ${target}`.execute(db);
    },
    close: () => db.destroy(),
  };
}
