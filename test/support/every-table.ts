/**
 * Rows in every table a snapshot restores, written straight through Kysely, and a dump of those tables
 * to compare: for the snapshot tests, which must see every table restored exactly, whatever the feature.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, OpenedDatabase } from '../../src/persistence/database.js';
import { RESTORED_TABLES, TABLE_SNAPSHOT_POLICY } from '../../src/persistence/database-snapshot.js';
import { newObjectId } from '../../src/shared/ids.js';

/** One organization tree with a row in every restored table (two audit events, for the counter). */
export async function seedEveryTable(db: Db, label: string): Promise<{ orgId: string }> {
  const at = new Date().toISOString();
  const id = () => newObjectId(new Date());
  const orgId = id();
  const targetOrgId = id();
  const projectId = id();
  const keyId = id();
  const hostKeyId = id();
  const tokenId = id();
  const userId = id();
  for (const [org, name] of [
    [orgId, `Source ${label}`],
    [targetOrgId, `Target ${label}`],
  ] as const) {
    await db.insertInto('organizations').values({ id: org, name, require_access_list: 0, inventory_version: 3, created_at: at }).execute();
  }
  await db
    .insertInto('projects')
    .values({ id: projectId, org_id: orgId, name: `Project ${label}`, created_at: at })
    .execute();
  await db
    .insertInto('deployments')
    .values({
      id: id(),
      project_id: projectId,
      name: 'rs0',
      mongodb_version: '7.0.12',
      feature_compatibility_version: '7.0',
      managed: 1,
      sharded: 0,
      shards_size: null,
      tls_enabled: 0,
      agent_version: null,
      db_size_bytes: 1_073_741_824,
      oplog_size_mb: 2048,
      connection_string: 'sealed-connection-string',
    })
    .execute();
  for (const [key, org] of [
    [keyId, orgId],
    [hostKeyId, orgId],
  ] as const) {
    await db
      .insertInto('api_keys')
      .values({
        id: key,
        public_key: randomBytes(4).toString('hex'),
        org_id: org,
        description: `key ${label}`,
        roles: '["ORG_OWNER"]',
        digest_secret: 'sealed-digest-secret',
        created_at: at,
      })
      .execute();
  }
  await db.insertInto('api_key_access_list').values({ api_key_id: keyId, cidr: '10.0.0.0/8' }).execute();
  await db
    .insertInto('migration_hosts')
    .values({ id: id(), project_id: projectId, hostname: 'mh1.example.com', api_key_id: hostKeyId })
    .execute();
  await db
    .insertInto('migration_links')
    .values({
      org_id: orgId,
      state: 'LINKED',
      link_token: 'sealed-link-token',
      token_digest: randomBytes(8).toString('hex'),
      target_org_id: targetOrgId,
      target_org_name: `Target ${label}`,
      status: 'SYNCED',
      created_at: at,
      claimed_at: at,
      last_synced_at: at,
      last_attempt_at: at,
      last_error: null,
      synced_inventory_version: 3,
      sync_due: 0,
    })
    .execute();
  await db
    .insertInto('link_tokens')
    .values({ id: tokenId, org_id: targetOrgId, api_key_id: keyId, access_list: '[]', created_at: at })
    .execute();
  await db
    .insertInto('linked_sources')
    .values({
      target_org_id: targetOrgId,
      source_org_id: orgId,
      link_token_id: tokenId,
      source_org_name: `Source ${label}`,
      projects: '[]',
      pushed_at: at,
    })
    .execute();
  for (const eventType of ['ORG_LINK_CREATED', 'ORG_LINK_SYNCED']) {
    await db.insertInto('audit_events').values({ org_id: orgId, event_type: eventType, created_at: at, details: '{}' }).execute();
  }
  await db
    .insertInto('users')
    .values({
      id: userId,
      org_id: orgId,
      username: `user-${label}-${randomBytes(3).toString('hex')}`,
      role: 'ORG_OWNER',
      password_hash: 'scrypt$x',
      created_at: at,
    })
    .execute();
  await db
    .insertInto('web_sessions')
    .values({
      id_hash: randomBytes(16).toString('hex'),
      user_id: userId,
      csrf_token: 'csrf',
      created_at_ms: Date.now(),
      expires_at_ms: Date.now() + 60_000,
    })
    .execute();
  const clusterId = id();
  await db
    .insertInto('clusters')
    .values({ id: clusterId, group_id: projectId, name: 'dest', connection_string: 'sealed', mongodb_version: '7.0.12', created_at: at })
    .execute();
  const plan = {
    org_id: targetOrgId,
    group_id: projectId,
    source_org_id: orgId,
    source_group_id: projectId,
    source_cluster_name: 'rs0',
    destination_cluster_id: clusterId,
    destination_cluster_name: 'dest',
    migration_host: 'mh1.example.com',
    drop_destination_data: 0,
    managed_authentication: 1,
    ssl: 0,
    ca_certificate_path: null,
    sealed_credentials: null,
    status: 'WORKING',
    error_message: null,
    created_at: at,
  };
  await db
    .insertInto('live_migration_validations')
    .values({ ...plan, id: id(), status: 'SUCCESS', finished_at: at })
    .execute();
  await db
    .insertInto('live_migrations')
    .values({
      ...plan,
      id: id(),
      phase: 'TAILING',
      ready_for_cutover: 1,
      ready_since: at,
      lag_seconds: 0.4,
      documents_copied: 12_345_678_901,
      collections_copied: 2,
      collections_to_copy: 2,
      changes_applied: 10,
      cutover_requested_at: null,
      ended_at: null,
      last_report_at: at,
      stop_acknowledged: 0,
    })
    .execute();
  await db
    .insertInto('migration_host_heartbeats')
    .values({ org_id: targetOrgId, source_org_id: orgId, source_group_id: projectId, hostname: 'mh1.example.com', last_seen_at: at })
    .execute();
  return { orgId };
}

/** Every restored table's rows, each table's sorted, as comparable values. */
export async function dumpRestoredTables(db: Db): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {};
  for (const table of RESTORED_TABLES) {
    const rows = await (db as unknown as Db)
      .selectFrom(table as 'organizations')
      .selectAll()
      .execute();
    dump[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return dump;
}

/** The tables the database has, livelink's migration bookkeeping (and SQLite's own) aside. */
export async function databaseTables(database: OpenedDatabase): Promise<string[]> {
  const rows =
    database.dialect === 'postgres'
      ? await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
          database.db,
        )
      : await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(database.db);
  return rows.rows
    .map((row) => row.name)
    .filter((name) => !name.startsWith('kysely_migration') && !name.startsWith('sqlite_'))
    .sort();
}

/** Each foreign key as (table, the table it points at). */
export async function foreignKeys(database: OpenedDatabase): Promise<{ table: string; parent: string }[]> {
  if (database.dialect === 'postgres') {
    const rows = await sql<{ table: string; parent: string }>`
      select tc.table_name as table, ccu.table_name as parent
      from information_schema.table_constraints tc
      join information_schema.constraint_column_usage ccu on ccu.constraint_name = tc.constraint_name and ccu.table_schema = tc.table_schema
      where tc.constraint_type = 'FOREIGN KEY' and tc.table_schema = current_schema()`.execute(database.db);
    return rows.rows;
  }
  const keys: { table: string; parent: string }[] = [];
  for (const table of await databaseTables(database)) {
    const rows = await sql<{ table: string }>`select "table" from pragma_foreign_key_list(${table})`.execute(database.db);
    for (const row of rows.rows) keys.push({ table, parent: row.table });
  }
  return keys;
}

export const POLICY_TABLES = Object.keys(TABLE_SNAPSHOT_POLICY).sort();
