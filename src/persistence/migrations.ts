import {
  DEFAULT_MIGRATION_TABLE,
  Migrator,
  sql,
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/** Holds the columns an Organization has (migration 0015, SQLite only; read through persistence/covering-index.ts). */
export const ORGANIZATION_READ_INDEX = 'organizations_read';

/** Holds a link's key, state and status: all a status answer reads (migration 0015, SQLite only). */
export const LINK_STATUS_INDEX = 'migration_links_status';

/**
 * Versioned schema migrations, one list for both dialects (they differ only where SQL does: an
 * auto-increment key). Kysely's Migrator runs each one in a transaction and takes a lock, so a crash
 * mid-migration leaves the old schema and two nodes starting at once migrate only once.
 * Never edit a migration that has shipped: add the next one.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-platform-and-links': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('organizations')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('require_access_list', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('inventory_version', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('projects')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('projects_org_name', ['org_id', 'name'])
          .execute();
        await db.schema
          .createTable('deployments')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('mongodb_version', 'text', (c) => c.notNull())
          .addColumn('feature_compatibility_version', 'text', (c) => c.notNull())
          .addColumn('managed', 'integer', (c) => c.notNull())
          .addColumn('sharded', 'integer', (c) => c.notNull())
          .addColumn('shards_size', 'integer')
          .addColumn('tls_enabled', 'integer', (c) => c.notNull())
          .addColumn('agent_version', 'text')
          .addColumn('db_size_bytes', 'bigint')
          .addColumn('oplog_size_mb', 'integer')
          .addUniqueConstraint('deployments_project_name', ['project_id', 'name'])
          .execute();
        await db.schema
          .createTable('migration_hosts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
          .addColumn('hostname', 'text', (c) => c.notNull())
          .addUniqueConstraint('migration_hosts_project_hostname', ['project_id', 'hostname'])
          .execute();
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('public_key', 'text', (c) => c.notNull().unique())
          .addColumn('org_id', 'text', (c) => c.references('organizations.id').onDelete('cascade'))
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('roles', 'text', (c) => c.notNull())
          .addColumn('digest_secret', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('api_key_access_list')
          .addColumn('api_key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
          .addColumn('cidr', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('api_key_access_list_pk', ['api_key_id', 'cidr'])
          .execute();
        await db.schema
          .createTable('migration_links')
          .addColumn('org_id', 'text', (c) => c.primaryKey().references('organizations.id').onDelete('cascade'))
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('link_token', 'text', (c) => c.notNull())
          .addColumn('token_digest', 'text', (c) => c.notNull())
          .addColumn('target_org_id', 'text', (c) => c.notNull())
          .addColumn('target_org_name', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('claimed_at', 'text', (c) => c.notNull())
          .addColumn('last_synced_at', 'text')
          .addColumn('last_attempt_at', 'text')
          .addColumn('last_error', 'text')
          .addColumn('synced_inventory_version', 'integer', (c) => c.notNull().defaultTo(-1))
          .execute();
        await db.schema
          .createTable('link_tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
          .addColumn('api_key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
          .addColumn('access_list', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('link_tokens_org').on('link_tokens').column('org_id').execute();
        await db.schema
          .createTable('linked_sources')
          .addColumn('target_org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
          .addColumn('source_org_id', 'text', (c) => c.notNull())
          .addColumn('link_token_id', 'text', (c) => c.notNull().references('link_tokens.id').onDelete('cascade'))
          .addColumn('source_org_name', 'text', (c) => c.notNull())
          .addColumn('projects', 'text', (c) => c.notNull())
          .addColumn('pushed_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('linked_sources_pk', ['target_org_id', 'source_org_id'])
          .execute();
        await db.schema
          .createTable('audit_events')
          .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('org_id', 'text', (c) => c.notNull())
          .addColumn('event_type', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('details', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('audit_events_org').on('audit_events').columns(['org_id', 'id']).execute();
      },
    },
    '0002-cross-node-state': {
      async up(db: Kysely<unknown>) {
        // Each (nonce, nc) a digest client used, until its nonce expires: refuses a replay on any node.
        await db.schema
          .createTable('digest_replays')
          .addColumn('nonce', 'text', (c) => c.notNull())
          .addColumn('nc', 'text', (c) => c.notNull())
          .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('digest_replays_pk', ['nonce', 'nc'])
          .execute();
        await db.schema.createIndex('digest_replays_expiry').on('digest_replays').column('expires_at_ms').execute();
        // Failed digest answers per (public key, client address), for the throttle every node shares.
        await db.schema
          .createTable('auth_failures')
          .addColumn('public_key', 'text', (c) => c.notNull())
          .addColumn('address', 'text', (c) => c.notNull())
          .addColumn('window_start_ms', 'bigint', (c) => c.notNull())
          .addColumn('failures', 'integer', (c) => c.notNull())
          .addColumn('blocked_until_ms', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('auth_failures_pk', ['public_key', 'address'])
          .execute();
        // Named leases: work that must run on one node at a time (the sync loop).
        await db.schema
          .createTable('leases')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0003-users-and-sessions': {
      async up(db: Kysely<unknown>) {
        // People who sign in to the web pages: one organization and one organization role each.
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
          .addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('users_org').on('users').column('org_id').execute();
        // Web sessions, in the database so any node serves them; only a SHA-256 of the session id is kept.
        await db.schema
          .createTable('web_sessions')
          .addColumn('id_hash', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('csrf_token', 'text', (c) => c.notNull())
          .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
          .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('web_sessions_expiry').on('web_sessions').column('expires_at_ms').execute();
      },
    },
    '0004-sync-due': {
      async up(db: Kysely<unknown>) {
        // A sync pass must read only the links that are due, not join every link with its organization:
        // sync_due is set in the transaction that bumps the organization's inventory_version, and
        // cleared by a push that sent the current version.
        await db.schema
          .alterTable('migration_links')
          .addColumn('sync_due', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        // The links that were due when this ran (their inventory changed since the last push, or they
        // were never attempted) stay due.
        await sql`update migration_links set sync_due = 1
        where last_attempt_at is null
           or synced_inventory_version <> (select inventory_version from organizations where organizations.id = migration_links.org_id)`.execute(
          db,
        );
        // state leads both, so they also serve the PENDING claims reconcileStaleClaims looks for.
        await db.schema.createIndex('migration_links_state_sync_due').on('migration_links').columns(['state', 'sync_due']).execute();
        await db.schema
          .createIndex('migration_links_state_last_attempt')
          .on('migration_links')
          .columns(['state', 'last_attempt_at'])
          .execute();
      },
    },
    '0005-clusters-and-connection-strings': {
      async up(db: Kysely<unknown>) {
        // The target's destination clusters: each a real MongoDB server of an Atlas project, reached by
        // its connection string, which is sealed (credentials included) and bound to the row.
        await db.schema
          .createTable('clusters')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('group_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('connection_string', 'text', (c) => c.notNull())
          .addColumn('mongodb_version', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('clusters_group_name', ['group_id', 'name'])
          .execute();
        // How the source reaches a deployment, sealed the same way; null until an operator gives one.
        await db.schema.alterTable('deployments').addColumn('connection_string', 'text').execute();
      },
    },
    '0006-live-migrations': {
      async up(db: Kysely<unknown>) {
        // The target's push live migrations and their validations: what each was asked (the plan, with the
        // source credentials sealed and bound to the row), and what the migration host reported. No foreign
        // key to the destination cluster: a cluster deleted under a migration fails that migration instead.
        const plan = <T extends CreateTableBuilder<string, never>>(table: T): T =>
          table
            .addColumn('id', 'text', (c) => c.primaryKey())
            .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
            .addColumn('group_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
            .addColumn('source_org_id', 'text', (c) => c.notNull())
            .addColumn('source_group_id', 'text', (c) => c.notNull())
            .addColumn('source_cluster_name', 'text', (c) => c.notNull())
            .addColumn('destination_cluster_id', 'text', (c) => c.notNull())
            .addColumn('destination_cluster_name', 'text', (c) => c.notNull())
            .addColumn('migration_host', 'text', (c) => c.notNull())
            .addColumn('drop_destination_data', 'integer', (c) => c.notNull())
            .addColumn('managed_authentication', 'integer', (c) => c.notNull())
            .addColumn('ssl', 'integer', (c) => c.notNull())
            .addColumn('ca_certificate_path', 'text')
            .addColumn('sealed_credentials', 'text')
            .addColumn('status', 'text', (c) => c.notNull())
            .addColumn('error_message', 'text')
            .addColumn('created_at', 'text', (c) => c.notNull()) as T;
        await plan(db.schema.createTable('live_migration_validations')).addColumn('finished_at', 'text').execute();
        await plan(db.schema.createTable('live_migrations'))
          .addColumn('phase', 'text')
          .addColumn('ready_for_cutover', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('ready_since', 'text')
          .addColumn('lag_seconds', 'double precision')
          .addColumn('documents_copied', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('collections_copied', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('collections_to_copy', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('changes_applied', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('cutover_requested_at', 'text')
          .addColumn('ended_at', 'text')
          .addColumn('last_report_at', 'text')
          .addColumn('stop_acknowledged', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        // The lookups: a host's jobs (every poll), an organization's active migrations (the slots).
        for (const table of ['live_migration_validations', 'live_migrations']) {
          await db.schema
            .createIndex(`${table}_host`)
            .on(table)
            .columns(['org_id', 'source_org_id', 'source_group_id', 'migration_host', 'status'])
            .execute();
        }
        await db.schema.createIndex('live_migrations_org_status').on('live_migrations').columns(['org_id', 'status']).execute();
        // Each migration host's last poll of its job (its heartbeat), one row per host.
        await db.schema
          .createTable('migration_host_heartbeats')
          .addColumn('org_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
          .addColumn('source_org_id', 'text', (c) => c.notNull())
          .addColumn('source_group_id', 'text', (c) => c.notNull())
          .addColumn('hostname', 'text', (c) => c.notNull())
          .addColumn('last_seen_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('migration_host_heartbeats_pk', ['org_id', 'source_org_id', 'source_group_id', 'hostname'])
          .execute();
      },
    },
    '0007-migration-host-keys': {
      async up(db: Kysely<unknown>) {
        // A migration host's own API key (livelink migration-host add), bound to its host row: the key
        // may call the job routes of that host alone. Deleting the key leaves the host, without a key.
        await db.schema
          .alterTable('migration_hosts')
          .addColumn('api_key_id', 'text', (c) => c.references('api_keys.id').onDelete('set null'))
          .execute();
        // One host a key; and the lookup every request of a host makes.
        await db.schema.createIndex('migration_hosts_api_key').on('migration_hosts').column('api_key_id').unique().execute();
      },
    },
    '0008-live-migration-faults': {
      async up(db: Kysely<unknown>) {
        // Rehearsal faults on a migration, in the database so that every node sharing it applies them;
        // gone with their migration.
        await db.schema
          .createTable('live_migration_faults')
          .addColumn('live_migration_id', 'text', (c) => c.notNull().references('live_migrations.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('phase', 'text')
          .addColumn('reason', 'text')
          .addColumn('lag_seconds', 'double precision')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('live_migration_faults_pk', ['live_migration_id', 'kind'])
          .execute();
      },
    },
    '0009-control-faults': {
      async up(db: Kysely<unknown>) {
        // The rehearsal control API's faults on the source's calls to the target, shared by every node.
        await db.schema
          .createTable('control_target_call_faults')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('call', 'text', (c) => c.notNull())
          .addColumn('failure', 'text', (c) => c.notNull())
          .addColumn('remaining_calls', 'integer')
          .addColumn('expires_at', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        // Every call to the target looks up its call's faults.
        await db.schema
          .createIndex('control_target_call_faults_call')
          .on('control_target_call_faults')
          .columns(['call', 'created_at'])
          .execute();
      },
    },
    '0010-control-snapshots': {
      async up(db: Kysely<unknown>) {
        // Named snapshots of the whole database for the rehearsal controls' reset: each row holds every
        // restored table's rows as one JSON document (features/snapshots), so a reset needs nothing else.
        await db.schema
          .createTable('control_snapshots')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('row_count', 'integer', (c) => c.notNull())
          .addColumn('tables', 'text', (c) => c.notNull())
          .execute();
        // The rehearsal clock's offset from real time, one row: every node sharing the database follows it.
        await db.schema
          .createTable('control_clock')
          .addColumn('id', 'integer', (c) => c.primaryKey())
          .addColumn('offset_ms', 'bigint', (c) => c.notNull())
          .addColumn('changed_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0014-unlogged-nonce-claims': {
      async up(db: Kysely<unknown>) {
        // Replay records as one claim per nonce, and one row per replay epoch (src/cross-node/
        // database-replay-guard.ts says why that is safe). UNLOGGED on PostgreSQL: an insert writes no
        // WAL, so its commit waits for no flush, and a crash empties the table, epochs and claims together.
        if (dialect === 'postgres') {
          await sql`create unlogged table digest_nonce_claims (nonce text primary key, expires_at_ms bigint not null)`.execute(db);
        } else {
          await db.schema
            .createTable('digest_nonce_claims')
            .addColumn('nonce', 'text', (c) => c.primaryKey())
            .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
            .execute();
        }
        await db.schema.createIndex('digest_nonce_claims_expiry').on('digest_nonce_claims').column('expires_at_ms').execute();
        // Its per-(nonce, nc) predecessor, a durable commit per answer.
        await db.schema.dropTable('digest_replays').execute();
      },
    },
    '0015-covering-status-reads': {
      async up(db: Kysely<unknown>) {
        // SQLite only. An authenticated status request reads its organization and its link by key. Both
        // tables have text keys, so each read is two B-tree searches: the key's index, then the rowid
        // table. Once the database no longer fits the page cache, every search is a random page read.
        // Each of these indexes holds every column its read needs, so the read is one search. SQLite's
        // planner still prefers the unique key index, so the reads name these (persistence/covering-index.ts).
        // On PostgreSQL an index-only scan depends on the visibility map, and its status path is bounded
        // by round trips, not page reads, so nothing changes there.
        if (dialect !== 'sqlite') return;
        await db.schema
          .createIndex(ORGANIZATION_READ_INDEX)
          .on('organizations')
          // Not inventory_version, which changes with every inventory change and no status request reads.
          .columns(['id', 'name', 'require_access_list', 'created_at'])
          .execute();
        await db.schema.createIndex(LINK_STATUS_INDEX).on('migration_links').columns(['org_id', 'state', 'status']).execute();
      },
    },
  };
}

/** The name of the last migration: what a snapshot records, so that it is never restored into another schema. */
export function latestMigrationName(): string {
  return Object.keys(migrations('sqlite')).sort().at(-1) ?? '';
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: () => Promise.resolve(migrations(dialect)) };
}

/** Brings the database to the latest migration; a failure names the migration that failed. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  // Work lands on main in parallel, so a migration may arrive with a lower number than one a database has
  // already run (0008 after 0009, 0010 and 0014): each migration stands on its own, so any not yet applied
  // is run, in name order, instead of the database being refused.
  const { error, results } = await new Migrator({
    db,
    provider: migrationProvider(dialect),
    allowUnorderedMigrations: true,
  }).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed`, { cause: error });
  }
}

/**
 * The migrations of this version that the database has not applied: readiness (/readyz) requires none.
 * Read from Kysely's own record of applied migrations, without the Migrator, which lists every table first.
 */
export async function pendingMigrations(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  const applied = await sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db);
  const names = new Set(applied.rows.map(({ name }) => name));
  return Object.keys(migrations(dialect)).filter((name) => !names.has(name));
}
