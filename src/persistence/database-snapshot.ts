import { sql, type Kysely } from 'kysely';
import type { Db } from './opened-database.js';
import type { Dialect } from './migrations.js';
import type { Database } from './schema.js';

/**
 * What a snapshot does with each table. Every table of the schema must be named here (the `satisfies`
 * below fails the type-check otherwise), so a new table is never silently left out of a reset:
 *
 * - `{ restore: rank }`: the data people and clients created. A snapshot copies its rows; a restore
 *   deletes every row and inserts the snapshot's. Rows are inserted by rank (a table after those its
 *   foreign keys point at) and deleted in the reverse order, so no foreign key ever fails or cascades.
 * - `'kept'`: state that is not the rehearsal's data, which a restore leaves as it is:
 *   - digest_nonce_claims: the nonces already answered (PostgreSQL's replay records). Nonces stay valid across a reset (the nonce
 *     key does not change), so putting back an older set would let a request answered since the snapshot
 *     be replayed.
 *   - leases: which node runs the sync loop now, not what it ran then.
 *   - auth_failures: failed digest answers count per key and client address in real time, and lapse on
 *     their own; a reset is not a way around a lockout (on SQLite they are in memory, and kept too).
 *   - control_snapshots: the snapshots themselves.
 *   - control_clock: the rehearsal clock, which a reset puts back to real time by its own service.
 *   - control_target_call_faults: the control API's faults, which a reset clears through the control service.
 *   - live_migration_faults: the rehearsal faults on migrations, likewise, before the restore: each row goes
 *     with its migration's (on delete cascade), so the restore's delete of live_migrations would remove
 *     them, uncounted; none is in a snapshot, so none comes back with it.
 */
export const TABLE_SNAPSHOT_POLICY = {
  organizations: { restore: 0 },
  projects: { restore: 1 },
  api_keys: { restore: 1 },
  users: { restore: 1 },
  migration_links: { restore: 1 },
  audit_events: { restore: 1 },
  migration_host_heartbeats: { restore: 1 },
  deployments: { restore: 2 },
  migration_hosts: { restore: 2 },
  api_key_access_list: { restore: 2 },
  link_tokens: { restore: 2 },
  web_sessions: { restore: 2 },
  clusters: { restore: 2 },
  live_migration_validations: { restore: 2 },
  live_migrations: { restore: 2 },
  linked_sources: { restore: 3 },
  digest_nonce_claims: 'kept',
  leases: 'kept',
  auth_failures: 'kept',
  control_snapshots: 'kept',
  control_clock: 'kept',
  control_target_call_faults: 'kept',
  live_migration_faults: 'kept',
} as const satisfies Record<keyof Database, { restore: number } | 'kept'>;

type Policies = typeof TABLE_SNAPSHOT_POLICY;
/** The tables a snapshot holds. */
export type RestoredTable = { [T in keyof Policies]: Policies[T] extends { restore: number } ? T : never }[keyof Policies];

/** A table's rows as the database returned them: column name to value (text, number or null). */
export type TableRow = Record<string, unknown>;
export type TableRows = Partial<Record<RestoredTable, TableRow[]>>;

/** The restored tables, parents first (the order rows are inserted in). */
export const RESTORED_TABLES: readonly RestoredTable[] = (Object.keys(TABLE_SNAPSHOT_POLICY) as (keyof Policies)[])
  .flatMap((table) => {
    const policy: { restore: number } | 'kept' = TABLE_SNAPSHOT_POLICY[table];
    return policy === 'kept' ? [] : [{ table: table as RestoredTable, rank: policy.restore }];
  })
  .sort((a, b) => a.rank - b.rank || a.table.localeCompare(b.table))
  .map(({ table }) => table);

/**
 * The generic view of the database that copying whole tables needs: the table is a value here, not a
 * name known to the type-checker, and rows are copied as they are, whatever their columns.
 */
type LooseDatabase = Record<string, TableRow>;
function loose(db: Db): Kysely<LooseDatabase> {
  return db as unknown as Kysely<LooseDatabase>;
}

/** Bound parameters per INSERT, well under SQLite's 32,766 and PostgreSQL's 65,535. */
const PARAMETERS_PER_INSERT = 10_000;

/** Reads every restored table. Run it in one read transaction, so the tables agree with each other. */
export async function readTables(tx: Db): Promise<TableRows> {
  const rows: TableRows = {};
  for (const table of RESTORED_TABLES) rows[table] = await loose(tx).selectFrom(table).selectAll().execute();
  return rows;
}

/**
 * Replaces the rows of every restored table with `rows` (a table absent from it ends empty), then sets
 * the auto-increment counters after the highest id restored, so the next row gets the id it would have
 * got right after the snapshot. Run it in one write transaction: a failure leaves the tables as they were.
 */
export async function replaceTables(tx: Db, dialect: Dialect, rows: Readonly<Record<string, readonly TableRow[]>>): Promise<void> {
  const db = loose(tx);
  for (const table of [...RESTORED_TABLES].reverse()) await db.deleteFrom(table).execute();
  for (const table of RESTORED_TABLES) {
    const tableRows = rows[table] ?? [];
    const first = tableRows[0];
    if (first === undefined) continue;
    const perInsert = Math.max(1, Math.floor(PARAMETERS_PER_INSERT / Math.max(1, Object.keys(first).length)));
    for (let start = 0; start < tableRows.length; start += perInsert) {
      await db
        .insertInto(table)
        .values(tableRows.slice(start, start + perInsert))
        .execute();
    }
  }
  await (dialect === 'postgres' ? resetPostgresSequences(tx) : resetSqliteSequences(tx));
}

/** Each serial or identity column of a restored table: its sequence continues after the highest id. */
async function resetPostgresSequences(tx: Db): Promise<void> {
  const columns = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and (column_default like 'nextval(%' or is_identity = 'YES')`.execute(tx);
  const restored = new Set<string>(RESTORED_TABLES);
  for (const { table_name: table, column_name: column } of columns.rows) {
    if (!restored.has(table)) continue;
    // setval(seq, n, false): the next value is n. An empty table starts again at 1.
    await sql`select setval(pg_get_serial_sequence(${table}, ${column}), coalesce((select max(${sql.ref(column)}) from ${sql.table(table)}), 0) + 1, false)`.execute(
      tx,
    );
  }
}

/** AUTOINCREMENT tables keep their counter in sqlite_sequence; it goes back to the highest id restored. */
async function resetSqliteSequences(tx: Db): Promise<void> {
  const counters = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name = 'sqlite_sequence'`.execute(
    tx,
  );
  if (counters.rows.length === 0) return;
  const tables = await sql<{ name: string }>`select name from sqlite_sequence`.execute(tx);
  const restored = new Set<string>(RESTORED_TABLES);
  for (const { name } of tables.rows) {
    if (!restored.has(name)) continue;
    await sql`update sqlite_sequence set seq = coalesce((select max(rowid) from ${sql.table(name)}), 0) where name = ${name}`.execute(tx);
  }
}
