/**
 * The two reads of every authenticated status request (its organization, its link's status) run on
 * SQLite through indexes that hold every column they read: one B-tree search a row instead of two,
 * which is what a database larger than the page cache pays for in random page reads. SQLite's planner
 * would take the unique key index instead, so the stores name the index; this checks the plan SQLite
 * actually runs for the statements the stores send.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompiledQuery } from 'kysely';
import { OrganizationKyselyStore } from '../../src/features/organizations/organization-kysely-store.js';
import { MigrationLinkKyselyStore } from '../../src/features/migration-link/migration-link-kysely-store.js';
import { LINK_STATUS_INDEX, ORGANIZATION_READ_INDEX, readThrough } from '../../src/persistence/covering-index.js';
import { openSqlite, type Db } from '../../src/persistence/database.js';
import type { OpenedDatabase } from '../../src/persistence/opened-database.js';
import { newObjectId } from '../../src/shared/ids.js';

/** The database, with every statement sent through executeQuery recorded. */
function recording(db: Db): { db: Db; sent: CompiledQuery[] } {
  const sent: CompiledQuery[] = [];
  const proxy = new Proxy(db, {
    get(target, property) {
      if (property === 'executeQuery') {
        return (query: CompiledQuery) => {
          sent.push(query);
          return target.executeQuery(query);
        };
      }
      // Kysely's private fields are read on the instance itself, not through the proxy.
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: proxy, sent };
}

async function planOf(database: OpenedDatabase, query: CompiledQuery): Promise<string[]> {
  const { rows } = await database.db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
  );
  return rows.map((row) => row.detail);
}

describe('covering reads on SQLite', () => {
  let database: OpenedDatabase;

  before(async () => {
    database = await openSqlite(':memory:');
  });
  after(() => database.close());

  it('reads organizations by id from the index that holds them', async () => {
    const { db, sent } = recording(database.db);
    const store = new OrganizationKyselyStore(db, 'sqlite');
    const org = { id: newObjectId(new Date()), name: 'covered', requireAccessList: true, createdAt: new Date().toISOString() };
    await store.createOrganization(org);
    sent.length = 0;
    assert.deepEqual(await store.listOrganizations([org.id, newObjectId(new Date())]), [org]);
    assert.equal(sent.length, 1);
    assert.deepEqual(await planOf(database, sent[0]!), [`SEARCH organizations USING COVERING INDEX ${ORGANIZATION_READ_INDEX} (id=?)`]);
  });

  it("reads links' statuses from the index that holds them", async () => {
    const { db, sent } = recording(database.db);
    const store = new MigrationLinkKyselyStore(db, 'sqlite');
    assert.deepEqual(await store.statusesOf([newObjectId(new Date()), newObjectId(new Date())]), new Map());
    assert.equal(sent.length, 1);
    assert.deepEqual(await planOf(database, sent[0]!), [`SEARCH migration_links USING COVERING INDEX ${LINK_STATUS_INDEX} (org_id=?)`]);
  });

  it('names the index only on SQLite, and refuses a query that does not read the table once', () => {
    const query = CompiledQuery.raw('select "id" from "organizations" where "id" = ?', ['x']);
    assert.equal(readThrough('postgres', query, 'organizations', 'organizations_read'), query);
    assert.equal(
      readThrough('sqlite', query, 'organizations', 'organizations_read').sql,
      'select "id" from "organizations" indexed by "organizations_read" where "id" = ?',
    );
    assert.throws(() => readThrough('sqlite', query, 'organization', 'organizations_read'), /does not read "organization" once/);
    const twice = CompiledQuery.raw('select "id" from "organizations" where "id" in (select "id" from "organizations")', []);
    assert.throws(() => readThrough('sqlite', twice, 'organizations', 'organizations_read'), /does not read "organizations" once/);
  });
});
