/**
 * A sync pass reads only the links that are due (finding 9 of docs/benchmarks.md): with 50,000 linked
 * organizations, none of them due, a pass pushes nothing, and its reads go through the indexes of
 * migration 0004-sync-due instead of scanning migration_links. Checked on the query plan, not on time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { CompiledQuery, Kysely, Migrator, SqliteDialect, type Compilable } from 'kysely';
import type { Livelink } from '../../src/app/livelink.js';
import { dueLinkQueries } from '../../src/features/migration-link/migration-link-kysely-store.js';
import type { MigrationLinkService } from '../../src/features/migration-link/migration-link-service.js';
import type { TargetClient, TargetFailure, TargetOutcome } from '../../src/features/migration-link/target-client.js';
import type { OrganizationService } from '../../src/features/organizations/organization-service.js';
import type { OpenedDatabase } from '../../src/persistence/database.js';
import { newObjectId } from '../../src/shared/ids.js';
import { migrateToLatest, migrationProvider } from '../../src/persistence/migrations.js';
import type { Database } from '../../src/persistence/schema.js';
import { composeLivelink } from '../support/livelink-fixture.js';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON } from '../support/postgres.js';

const LINKED_ORGANIZATIONS = 50_000;
const INTERVAL_MS = 60_000;
/** Rows per INSERT: 13 columns each stays far below both dialects' parameter limits. */
const BATCH = 1000;

/** A livelink on a fresh database; close() closes it and removes the database. */
type Fresh = { livelink: Livelink; close(): Promise<void> };

/** Stands in for Atlas: counts the calls a pass makes, and refuses each as an unreachable target would. */
class CountingTarget implements TargetClient {
  calls = 0;
  readonly baseUrl = 'http://atlas.invalid';
  pushInventory(): Promise<TargetOutcome> {
    this.calls += 1;
    return Promise.resolve({ kind: 'unreachable', detail: 'the connection was refused' });
  }
  forgetSource(): Promise<TargetOutcome> {
    return this.pushInventory();
  }
  migrationJob(): Promise<TargetFailure> {
    return Promise.resolve({ kind: 'unreachable', detail: 'the connection was refused' });
  }
  reportMigrationJob(): Promise<TargetFailure> {
    return this.migrationJob();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

// Through the composition root, as the server builds it, with the counting target and a fixed clock.
function freshSqlite(target: TargetClient, now: Date): Promise<Fresh> {
  return composeLivelink({}, { now: () => now, targetClient: target });
}

async function freshPostgres(target: TargetClient, now: Date): Promise<Fresh> {
  const database = await freshPostgresDatabase();
  const composed = await composeLivelink({ 'database-url': database.url }, { now: () => now, targetClient: target });
  return {
    livelink: composed.livelink,
    close: async () => {
      await composed.close();
      await database.drop();
    },
  };
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
    const result = await database.db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
    );
    return result.rows.map((row) => row.detail);
  }
  const result = await database.db.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]),
  );
  return result.rows.map((row) => row['QUERY PLAN']);
}

function syncDueSuite(dialect: string, open: (target: TargetClient, now: Date) => Promise<Fresh>): void {
  describe(`a sync pass over ${LINKED_ORGANIZATIONS.toLocaleString('en')} linked organizations on ${dialect}`, () => {
    let fresh: Fresh;
    let database: OpenedDatabase;
    let organizations: OrganizationService;
    let links: MigrationLinkService;
    const target = new CountingTarget();
    let ids: string[];
    const now = new Date();
    const cutoff = new Date(now.getTime() - INTERVAL_MS).toISOString();

    before(async () => {
      fresh = await open(target, now);
      database = fresh.livelink.database;
      ids = await seedLinkedOrganizations(database, now);
      if (database.dialect === 'postgres') await database.db.executeQuery(CompiledQuery.raw('analyze migration_links'));
      ({ organizations, migrationLinks: links } = fresh.livelink.services);
    });
    after(() => fresh.close());

    it('finds nothing due and pushes nothing', async () => {
      assert.deepEqual(await links.syncDue(INTERVAL_MS), []);
      assert.equal(target.calls, 0);
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
      const query = database.db
        .selectFrom('migration_links')
        .select('org_id')
        .where('state', '=', 'PENDING')
        .where('claimed_at', '<', cutoff);
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
      assert.deepEqual(
        (await queries.changed.execute()).map((row) => row.org_id),
        [changed],
      );
      assert.deepEqual(
        (await queries.notAttemptedSince.execute()).map((row) => row.org_id),
        [old],
      );
    });

    it('marks the link due on every kind of inventory change, and on nothing that changed nothing', async () => {
      const orgId = ids[123] as string;
      const isDue = async () => (await dueLinkQueries(database.db, cutoff).changed.execute()).some((row) => row.org_id === orgId);
      const dueAfter = async (change: string, make: () => Promise<unknown>) => {
        await make();
        assert.equal(await isDue(), true, change);
        // As a push of the current version leaves it.
        await database.db.updateTable('migration_links').set({ sync_due: 0 }).where('org_id', '=', orgId).execute();
      };
      let projectId = '';
      let deploymentId = '';
      await dueAfter('a project created', async () => (projectId = (await organizations.createProject(orgId, 'Every change')).id));
      await dueAfter('a deployment created', async () => {
        const deployment = await organizations.createDeployment(projectId, {
          name: 'rs0',
          mongoDBVersion: '6.0.14',
          featureCompatibilityVersion: '6.0',
          managed: true,
          sharded: false,
          shardsSize: null,
          tlsEnabled: true,
          agentVersion: null,
          dbSizeBytes: null,
          oplogSizeMB: null,
        });
        deploymentId = deployment.id;
      });
      await dueAfter('a deployment updated', () => organizations.updateDeployment(deploymentId, { mongoDBVersion: '7.0.2' }));
      await dueAfter('a migration host added', () => organizations.addMigrationHost(projectId, 'mh1.example.com'));
      await dueAfter('a migration host removed', () => organizations.removeMigrationHost(projectId, 'mh1.example.com'));
      assert.equal(await organizations.removeMigrationHost(projectId, 'mh1.example.com'), false);
      await assert.rejects(organizations.createProject(orgId, 'Every change'), { errorCode: 'DUPLICATE_GROUP_NAME' });
      await assert.rejects(organizations.updateDeployment(newObjectId(new Date()), { mongoDBVersion: '7.0.3' }), {
        errorCode: 'CLUSTER_NOT_FOUND',
      });
      assert.equal(await isDue(), false, 'nothing changed');
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
        org_id: orgId,
        state: 'LINKED',
        link_token: 'sealed',
        token_digest: 'digest',
        target_org_id: 'a'.repeat(24),
        target_org_name: 'Atlas',
        status: 'SYNCED',
        created_at: at,
        claimed_at: at,
        last_synced_at: at,
        last_attempt_at: lastAttemptAt,
        last_error: null,
        synced_inventory_version: syncedVersion,
      });
      const [upToDate, changed, neverAttempted] = [newObjectId(new Date()), newObjectId(new Date()), newObjectId(new Date())];
      await db
        .insertInto('organizations')
        .values(
          [upToDate, changed, neverAttempted].map((id) => ({ id, name: id, require_access_list: 0, inventory_version: 3, created_at: at })),
        )
        .execute();
      await db
        .insertInto('migration_links')
        .values([link(upToDate, at, 3), link(changed, at, 2), link(neverAttempted, null, 3)])
        .execute();

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
