/**
 * The organization a route names is read on nearly every request. The reads of one turn of the event
 * loop go to the database together (one statement), a found organization is reused for a second, and a
 * change made through the service is seen by the next read.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqlite } from '../../src/persistence/database.js';
import type { OpenedDatabase } from '../../src/persistence/opened-database.js';
import { OrganizationKyselyStore } from '../../src/features/organizations/organization-kysely-store.js';
import { OrganizationService, type OrganizationWrites } from '../../src/features/organizations/organization-service.js';
import type { Organization } from '../../src/features/organizations/organization.js';
import { newObjectId } from '../../src/shared/ids.js';

/** The real store, with every statement the service sends it counted. */
class CountingStore extends OrganizationKyselyStore {
  readonly listed: (readonly string[] | undefined)[] = [];
  single = 0;

  override listOrganizations(ids?: readonly string[]): Promise<Organization[]> {
    this.listed.push(ids);
    return super.listOrganizations(ids);
  }

  override getOrganization(id: string): Promise<Organization | undefined> {
    this.single += 1;
    return super.getOrganization(id);
  }
}

describe('OrganizationService reads', () => {
  let database: OpenedDatabase;
  let store: CountingStore;
  let service: OrganizationService;
  let now = Date.parse('2026-12-03T00:00:00Z');
  const orgs: Organization[] = [];

  before(async () => {
    database = await openSqlite(':memory:');
    store = new CountingStore(database.db, database.dialect);
    const unused = () => {
      throw new Error('no connection strings here');
    };
    service = new OrganizationService(
      store,
      // Writes on the transaction's own connection, as the composition root binds them.
      (work) =>
        database.writeTransaction((trx) =>
          work({
            organizations: new OrganizationKyselyStore(trx, database.dialect),
            inventoryChanged: async () => undefined,
          } satisfies OrganizationWrites),
        ),
      { seal: unused, open: unused, isStale: unused },
      () => new Date(now),
    );
    for (const name of ['One', 'Two', 'Three']) {
      const org = { id: newObjectId(new Date(now)), name, requireAccessList: false, createdAt: new Date(now).toISOString() };
      await store.createOrganization(org);
      orgs.push(org);
    }
  });

  after(() => database.close());

  it('answers the reads of one turn with one statement, the unknown as undefined', async () => {
    const unknown = newObjectId(new Date(0));
    const [one, two, three] = orgs as [Organization, Organization, Organization];
    const found = await Promise.all([one.id, two.id, unknown, one.id, three.id].map((id) => service.getOrganization(id)));
    assert.deepEqual(found, [one, two, undefined, one, three]);
    assert.deepEqual(store.listed, [[one.id, two.id, unknown, three.id]]);
    assert.equal(store.single, 0);
  });

  it('reuses a found organization for a second, then reads it again', async () => {
    const [one] = orgs as [Organization];
    store.listed.length = 0;
    assert.deepEqual(await service.getOrganization(one.id), one);
    assert.equal(store.listed.length, 0);
    now += 1001;
    assert.deepEqual(await service.getOrganization(one.id), one);
    assert.deepEqual(store.listed, [[one.id]]);
  });

  it('sees its own change to the require-access-list setting on the next read', async () => {
    const [, two] = orgs as [Organization, Organization];
    assert.equal((await service.getOrganization(two.id))?.requireAccessList, false);
    await service.setRequireAccessList(two.id, true);
    assert.equal((await service.getOrganization(two.id))?.requireAccessList, true);
  });
});
