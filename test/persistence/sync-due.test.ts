/**
 * A sync pass reads only the links that are due (finding 9 of docs/benchmarks.md): with 50,000 linked
 * organizations, none of them due, a pass pushes nothing, and its reads go through the indexes of
 * migration 0004-sync-due instead of scanning migration_links. Checked on the query plan, not on time.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, SqliteDialect, type Compilable } from 'kysely';
import { SecretBox } from '../../src/crypto/secret-box.js';
import { dueLinkQueries, MigrationLinkService } from '../../src/features/migration-link/migration-link-service.js';
import { TargetClient } from '../../src/features/migration-link/target-client.js';
import { OrganizationService } from '../../src/features/organizations/organization-service.js';
import { openPostgres, openSqlite, type OpenedDatabase } from '../../src/persistence/database.js';
import { newObjectId } from '../../src/persistence/ids.js';
import { migrateToLatest, migrationProvider } from '../../src/persistence/migrations.js';
import type { Database } from '../../src/persistence/schema.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON } from '../support/postgres.js';

const LINKED_ORGANIZATIONS = 50_000;
const INTERVAL_MS = 60_000;
/** Rows per INSERT: 13 columns each stays far below both dialects' parameter limits. */
const BATCH = 1000;

type Fresh = OpenedDatabase & { dispose(): Promise<void> };

async function freshSqlite(): Promise<Fresh> {
  const dir = mkdtempSync(join(tmpdir(), 'livelink-sync-due-'));
  const database = await openSqlite(join(dir, 'test.sqlite'));
  return { ...database, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function freshPostgres(): Promise<Fresh> {
  const fresh = await freshPostgresDatabase();
  const database = await openPostgres(fresh.url);
  return { ...database, dispose: () => fresh.drop() };
}

/** 50,000 organizations, each linked and pushed a moment ago at its current inventory version. */
async function seedLinkedOrganizations(database: OpenedDatabase, now: Date): Promise<string[]> {
  const at = now.toISOString();
  const ids: string[] = [];
  for (let start = 0; start < LINKED_ORGANIZATIONS; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, LINKED_ORGANIZATIONS - start) }, () => newObjectId(now));
    ids.push(...batch);
    await database.writeTransaction(async (tx) => {
      await tx
        .insertInto('organizations')
        .values(batch.map((id, i) => ({ id, name: `Org ${start + i}`, require_access_list: 0, inventory_version: 0, created_at: at })))
        .execute();
      await tx
        .insertInto('migration_links')
        .values(
          batch.map((id) => ({
            org_id: id,
            state: 'LINKED',
            link_token: 'sealed',
            token_digest: 'digest',
            target_org_id: 'a'.repeat(24),
            target_org_name: 'Atlas',
            status: 'SYNCED',
            created_at: at,
            claimed_at: at,
            last_synced_at: at,
            last_attempt_at: at,
            last_error: null,
            synced_inventory_version: 0,
          })),
        )
        .execute();
    });
  }
  return ids;
}

/** The plan lines of a query, as the dialect's EXPLAIN gives them. */
async function plan(database: OpenedDatabase, query: Compilable): Promise<string[]> {
  const compiled = query.compile();
  if (database.dialect === 'sqlite') {
    const result = await database.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]));
    return result.rows.map((row) => row.detail);
  }
  const result = await database.db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]));
  return result.rows.map((row) => row['QUERY PLAN']);
}

function syncDueSuite(dialect: string, open: () => Promise<Fresh>): void {
  describe(`a sync pass over ${LINKED_ORGANIZATIONS.toLocaleString('en')} linked organizations on ${dialect}`, () => {
    let database: Fresh;
    let organizations: OrganizationService;
    let links: MigrationLinkService;
    let target: TargetClient;
    let ids: string[];
    const now = new Date();
    const cutoff = new Date(now.getTime() - INTERVAL_MS).toISOString();

    before(async () => {
      database = await open();
      ids = await seedLinkedOrganizations(database, now);
      if (database.dialect === 'postgres') await database.db.executeQuery(CompiledQuery.raw('analyze migration_links'));
      organizations = new OrganizationService(database, () => now);
      // Nothing listens there: a pass that tried to push anything would report it NOT_SYNCED.
      target = new TargetClient({ baseUrl: () => 'http://127.0.0.1:9', connectTimeoutMs: 1000, totalTimeoutMs: 1000, maxResponseBytes: 1024 });
      links = new MigrationLinkService(database, organizations, target, new SecretBox([randomBytes(32)]), () => now);
    });
    after(async () => {
      await target.close();
      await database.close();
      await database.dispose();
    });

    it('finds nothing due and pushes nothing', async () => {
      assert.deepEqual(await links.syncDue(INTERVAL_MS), []);
    });

    it('reads through the indexes, never scanning migration_links', async () => {
      const queries = dueLinkQueries(database.db, cutoff);
      const expectations: [string, Compilable, string][] = [
        ['changed', queries.changed, 'migration_links_state_sync_due'],
        ['not attempted since the cutoff', queries.notAttemptedSince, 'migration_links_state_last_attempt'],
      ];
      for (const [name, query, index] of expectations) {
        const lines = await plan(database, query);
        const text = lines.join('\n');
        assert.ok(text.includes(index), `${name}: the plan does not use ${index}:\n${text}`);
        if (database.dialect === 'sqlite') {
          assert.ok(!lines.some((line) => /^SCAN migration_links\b(?! USING)/.test(line)), `${name}: full scan:\n${text}`);
        } else {
          assert.ok(!text.includes('Seq Scan on migration_links'), `${name}: full scan:\n${text}`);
        }
      }
    });

    it('serves the stale-claim check of every pass from an index too', async () => {
      const query = database.db.selectFrom('migration_links').select('org_id').where('state', '=', 'PENDING').where('claimed_at', '<', cutoff);
      const lines = await plan(database, query);
      const text = lines.join('\n');
      if (database.dialect === 'sqlite') assert.ok(!lines.some((line) => /^SCAN migration_links\b(?! USING)/.test(line)), text);
      else assert.ok(!text.includes('Seq Scan on migration_links'), text);
    });

    it('finds exactly a changed organization and one not attempted since the interval', async () => {
      const [changed, old] = [ids[17] as string, ids[40_001] as string];
      // A change through the service: its transaction bumps the inventory version and marks the link due.
      await organizations.createProject(changed, 'Changed Project');
      await database.db
        .updateTable('migration_links')
        .set({ last_attempt_at: new Date(now.getTime() - INTERVAL_MS - 1).toISOString() })
        .where('org_id', '=', old)
        .execute();
      const queries = dueLinkQueries(database.db, cutoff);
      assert.deepEqual((await queries.changed.execute()).map((row) => row.org_id), [changed]);
      assert.deepEqual((await queries.notAttemptedSince.execute()).map((row) => row.org_id), [old]);
    });
  });
}

syncDueSuite('SQLite', freshSqlite);

describe('migration 0004-sync-due on a database that has links', () => {
  it('marks due exactly the links that were due before it (changed since their push, or never attempted)', async () => {
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    try {
      // The schema as it was before 0004.
      const provider = migrationProvider('sqlite');
      const before = {
        getMigrations: async () => Object.fromEntries(Object.entries(await provider.getMigrations()).filter(([name]) => name < '0004')),
      };
      assert.equal((await new Migrator({ db, provider: before }).migrateToLatest()).error, undefined);
      const at = new Date().toISOString();
      const link = (orgId: string, lastAttemptAt: string | null, syncedVersion: number) => ({
        org_id: orgId, state: 'LINKED', link_token: 'sealed', token_digest: 'digest', target_org_id: 'a'.repeat(24), target_org_name: 'Atlas',
        status: 'SYNCED', created_at: at, claimed_at: at, last_synced_at: at, last_attempt_at: lastAttemptAt, last_error: null,
        synced_inventory_version: syncedVersion,
      });
      const [upToDate, changed, neverAttempted] = [newObjectId(), newObjectId(), newObjectId()];
      await db
        .insertInto('organizations')
        .values([upToDate, changed, neverAttempted].map((id) => ({ id, name: id, require_access_list: 0, inventory_version: 3, created_at: at })))
        .execute();
      await db.insertInto('migration_links').values([link(upToDate, at, 3), link(changed, at, 2), link(neverAttempted, null, 3)]).execute();

      await migrateToLatest(db, 'sqlite');
      const rows = await db.selectFrom('migration_links').select(['org_id', 'sync_due']).execute();
      const due = Object.fromEntries(rows.map((row) => [row.org_id, row.sync_due]));
      assert.deepEqual(due, { [upToDate]: 0, [changed]: 1, [neverAttempted]: 1 });
    } finally {
      await db.destroy();
    }
  });
});

if (POSTGRES_SKIP_REASON === false) {
  syncDueSuite('PostgreSQL', freshPostgres);
} else {
  describe('a sync pass on PostgreSQL', () => {
    it('runs against a PostgreSQL server', { skip: POSTGRES_SKIP_REASON }, () => {});
  });
}
