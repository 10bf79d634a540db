import { Kysely, PostgresDialect, sql } from 'kysely';
import type { OpenedDatabase, WriteCounts } from './opened-database.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

/** The advisory-lock key of livelink's write transactions ("livelink" in ASCII, as a bigint). */
const WRITE_LOCK_KEY = BigInt('0x6c6976656c696e6b').toString();

/**
 * Opens PostgreSQL (any number of livelink nodes may share it) and migrates. int8 values come back as
 * JavaScript numbers: every bigint livelink stores (sizes, epoch milliseconds) is far below 2^53.
 *
 * `pg` is imported here, on the first call, not when livelink loads: loading it and its dependencies
 * took some 45 ms of every start-up, and a process on SQLite (the default, and every CLI command on
 * a data folder) never uses it.
 */
export async function openPostgres(url: string): Promise<OpenedDatabase> {
  const { default: pg } = await import('pg');
  // Global to the pg module, so set before any pool exists; setting it again is harmless.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Without a listener Node would crash.
  });
  pool.on('connect', (client) => {
    // A client in use whose connection ends (PostgreSQL restarted under a query) emits 'error' as well as
    // failing its query; the pool listens only to idle ones, so without this the process would die. The
    // query's own failure is what reaches the caller, and the pool discards the broken client.
    client.on('error', () => undefined);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await migrateToLatest(db, 'postgres');
  } catch (error) {
    await db.destroy();
    throw error;
  }
  // Each write transaction commits alone: the advisory lock serializes them across nodes.
  const counts: WriteCounts = { transactions: 0, commits: 0 };
  return {
    db,
    dialect: 'postgres',
    settings: undefined,
    writeTransaction: async (fn) => {
      const result = await db.transaction().execute(async (tx) => {
        await sql`select pg_advisory_xact_lock(${sql.raw(WRITE_LOCK_KEY)})`.execute(tx);
        return fn(tx);
      });
      counts.transactions += 1;
      counts.commits += 1;
      return result;
    },
    writeCounts: () => counts,
    readTransaction: (fn) => db.transaction().setIsolationLevel('repeatable read').execute(fn),
    backup: () => Promise.reject(new Error('back PostgreSQL up with its own tools (pg_dump or a base backup)')),
    close: () => db.destroy(),
  };
}
