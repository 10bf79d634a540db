import type { Kysely } from 'kysely';
import type { Dialect } from './migrations.js';
import type { Database } from './schema.js';

/**
 * What an open database is, whichever the dialect: a module of its own, so that postgres.ts can name the
 * type without importing database.ts, which imports postgres.ts. Callers import it from database.ts.
 */
export type Db = Kysely<Database>;

/** What the service reads back at start-up and logs, so a wrong durability setting is visible. */
export interface SqliteSettings {
  journalMode: string;
  synchronous: number;
  busyTimeoutMs: number;
  foreignKeys: number;
}

/** What this process's write transactions cost: how many committed, and how many COMMITs that took. */
export interface WriteCounts {
  transactions: number;
  commits: number;
}

export interface OpenedDatabase {
  db: Db;
  dialect: Dialect;
  /** SQLite only: the settings read back after opening. */
  settings: SqliteSettings | undefined;
  /**
   * Runs `fn` in a write transaction. Write transactions never interleave, on one node or many: SQLite
   * takes its write lock up front (BEGIN IMMEDIATE), PostgreSQL an advisory lock. So a transaction that
   * reads and then writes (a claim, a counter) needs no retry loop and never loses an update. On SQLite
   * the transactions asked for together share one COMMIT (GroupCommit), each in its own savepoint; the
   * promise resolves only once that COMMIT returned. PostgreSQL's advisory lock serializes them, each
   * committed alone.
   */
  writeTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** The write transactions committed since opening, and the COMMITs (on SQLite, fsyncs) they took. */
  writeCounts(): Readonly<WriteCounts>;
  /**
   * Runs `fn` in one read transaction: every read in it sees the same committed state (PostgreSQL's
   * repeatable read; on SQLite a deferred transaction, a read snapshot of the WAL).
   */
  readTransaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * SQLite: an online backup to `file` (VACUUM INTO), consistent while writes go on.
   * PostgreSQL has its own tools (pg_dump, base backups); there this throws.
   */
  backup(file: string): Promise<void>;
  close(): Promise<void>;
}
