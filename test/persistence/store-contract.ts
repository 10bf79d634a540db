/**
 * The store contract: one suite every storage implementation must pass. Each database factory gives
 * a fresh, migrated database; the suite is run once per dialect (see *.test.ts beside this file).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeyKyselyStore } from '../../src/features/api-keys/api-key-kysely-store.js';
import type { ApiKey } from '../../src/features/api-keys/api-key.js';
import { OrganizationKyselyStore } from '../../src/features/organizations/organization-kysely-store.js';
import type { Deployment } from '../../src/features/organizations/organization.js';
import type { OpenedDatabase } from '../../src/persistence/database.js';
import { DatabaseAuthFailureThrottle } from '../../src/persistence/database-auth-throttle.js';
import { DatabaseReplayGuard } from '../../src/persistence/database-replay-guard.js';
import { newObjectId } from '../../src/persistence/ids.js';
import { Lease } from '../../src/persistence/lease.js';

export type DatabaseFactory = () => Promise<OpenedDatabase & { dispose?: () => Promise<void> }>;

export function storeContract(dialect: string, open: DatabaseFactory): void {
  describe(`store contract on ${dialect}`, () => {
    let database: OpenedDatabase & { dispose?: () => Promise<void> };
    before(async () => {
      database = await open();
    });
    after(async () => {
      await database.close();
      await database.dispose?.();
    });

    const organization = (name: string) => ({ id: newObjectId(), name, requireAccessList: false, createdAt: '2026-01-01T00:00:00.000Z' });
    const deployment = (projectId: string, name: string): Deployment => ({
      id: newObjectId(),
      projectId,
      name,
      mongoDBVersion: '6.0.14',
      featureCompatibilityVersion: '6.0',
      managed: true,
      sharded: false,
      shardsSize: null,
      tlsEnabled: true,
      agentVersion: null,
      dbSizeBytes: 5_000_000_000,
      oplogSizeMB: 2048,
    });

    describe('organizations', () => {
      it('creates, finds and lists organizations', async () => {
        const store = new OrganizationKyselyStore(database.db);
        const a = organization('Alpha');
        const b = organization('Beta');
        await store.createOrganization(a);
        await store.createOrganization(b);
        assert.deepEqual(await store.getOrganization(a.id), a);
        assert.equal(await store.getOrganization(newObjectId()), undefined);
        assert.deepEqual(await store.findOrganizationByName('Beta'), b);
        assert.deepEqual((await store.listOrganizations([b.id])).map((o) => o.id), [b.id]);
        assert.deepEqual(await store.listOrganizations([]), []);
        assert.ok((await store.listOrganizations()).length >= 2);
      });

      it('sets the require-access-list setting, and says when the organization is missing', async () => {
        const store = new OrganizationKyselyStore(database.db);
        const org = organization('Strict');
        await store.createOrganization(org);
        assert.equal(await store.setRequireAccessList(org.id, true), true);
        assert.equal((await store.getOrganization(org.id))?.requireAccessList, true);
        assert.equal(await store.setRequireAccessList(newObjectId(), true), false);
      });

      it('bumps the inventory version on every inventory change, and returns the inventory', async () => {
        const store = new OrganizationKyselyStore(database.db);
        const org = organization('Inventory');
        await store.createOrganization(org);
        const version = async () => (await store.inventory(org.id)).version;
        assert.equal(await version(), 0);
        const project = { id: newObjectId(), orgId: org.id, name: 'P', createdAt: '2026-01-01T00:00:00.000Z' };
        await store.createProject(project);
        assert.equal(await version(), 1);
        const d = deployment(project.id, 'rs0');
        await store.createDeployment(d);
        assert.equal(await version(), 2);
        assert.deepEqual(await store.getDeployment(d.id), d);
        const updated = await store.updateDeployment(d.id, { mongoDBVersion: '7.0.2', sharded: true, shardsSize: 3 });
        assert.deepEqual(updated, { ...d, mongoDBVersion: '7.0.2', sharded: true, shardsSize: 3 });
        assert.equal(await version(), 3);
        assert.equal(await store.updateDeployment(newObjectId(), { name: 'x' }), undefined);
        await store.addMigrationHost({ id: newObjectId(), projectId: project.id, hostname: 'mh1' });
        assert.equal(await version(), 4);
        assert.equal(await store.removeMigrationHost(project.id, 'nope'), false);
        assert.equal(await version(), 4);
        const inventory = await store.inventory(org.id);
        assert.deepEqual(inventory.projects, [{ project, deployments: [updated], migrationHosts: ['mh1'] }]);
        assert.equal(await store.removeMigrationHost(project.id, 'mh1'), true);
        assert.equal(await version(), 5);
      });

      it('refuses a second project with the same name in one organization', async () => {
        const store = new OrganizationKyselyStore(database.db);
        const org = organization('Unique');
        await store.createOrganization(org);
        await store.createProject({ id: newObjectId(), orgId: org.id, name: 'Same', createdAt: '2026-01-01T00:00:00.000Z' });
        await assert.rejects(store.createProject({ id: newObjectId(), orgId: org.id, name: 'Same', createdAt: '2026-01-01T00:00:00.000Z' }));
      });
    });

    describe('API keys', () => {
      const key = (orgId: string | null, publicKey: string): ApiKey => ({
        id: newObjectId(),
        publicKey,
        orgId,
        description: 'a key',
        roles: orgId === null ? ['GLOBAL_OWNER'] : ['ORG_OWNER', 'ORG_MEMBER'],
        accessList: ['10.0.0.0/8', '192.0.2.1'],
        createdAt: '2026-01-01T00:00:00.000Z',
      });

      it('stores a key with its sealed secret and access list, finds it by public key, lists and deletes it', async () => {
        const orgs = new OrganizationKyselyStore(database.db);
        const org = organization('Keys');
        await orgs.createOrganization(org);
        const store = new ApiKeyKyselyStore(database.db);
        const k = key(org.id, 'abcdefgh');
        await store.create(k, 'sealed-secret');
        assert.deepEqual(await store.findByPublicKey('abcdefgh'), { apiKey: k, sealedDigestSecret: 'sealed-secret' });
        assert.equal(await store.findByPublicKey('zzzzzzzz'), undefined);
        assert.deepEqual(await store.get(k.id), k);
        assert.deepEqual((await store.list(org.id)).map((x) => x.id), [k.id]);
        await store.setAccessList(k.id, ['203.0.113.0/24']);
        assert.deepEqual((await store.get(k.id))?.accessList, ['203.0.113.0/24']);
        assert.equal(await store.delete(k.id), true);
        assert.equal(await store.delete(k.id), false);
        assert.equal(await store.findByPublicKey('abcdefgh'), undefined);
      });

      it('keeps global keys apart from organization keys', async () => {
        const store = new ApiKeyKyselyStore(database.db);
        const global = key(null, 'globalky');
        await store.create(global, 'sealed');
        assert.ok((await store.list(null)).some((x) => x.id === global.id));
      });

      it('refuses two keys with the same public key', async () => {
        const store = new ApiKeyKyselyStore(database.db);
        await store.create(key(null, 'samesame'), 'sealed');
        await assert.rejects(store.create(key(null, 'samesame'), 'sealed'));
      });
    });

    describe('leases', () => {
      it('lets one holder at a time hold a lease, and another take it once it expired', async () => {
        let now = 1_000_000;
        const clock = () => now;
        const first = new Lease(database.db, 'contract-lease', 'node-1', 5000, clock);
        const second = new Lease(database.db, 'contract-lease', 'node-2', 5000, clock);
        assert.equal(await first.acquire(), true);
        assert.equal(await second.acquire(), false);
        now += 4000;
        assert.equal(await first.acquire(), true, 'the holder renews');
        now += 4000;
        assert.equal(await second.acquire(), false, 'renewed 4 s ago: still held');
        now += 1001;
        assert.equal(await second.acquire(), true, 'not renewed for 5 s: taken over');
        assert.equal(await first.acquire(), false);
        assert.equal(await second.currentHolder(), 'node-2');
        await second.release();
        assert.equal(await first.acquire(), true, 'released: free at once');
      });
    });

    describe('the replay guard', () => {
      it('accepts each (nonce, nc) once, across guards sharing the database', async () => {
        const one = new DatabaseReplayGuard(database.db);
        const two = new DatabaseReplayGuard(database.db);
        const expires = Date.now() + 60_000;
        assert.equal(await one.firstUse('n1', '00000001', expires), true);
        assert.equal(await two.firstUse('n1', '00000001', expires), false);
        assert.equal(await two.firstUse('n1', '00000002', expires), true);
        assert.equal(await one.firstUse('n2', '00000001', expires), true);
        const racing = await Promise.all(Array.from({ length: 10 }, () => one.firstUse('n3', '', expires)));
        assert.equal(racing.filter(Boolean).length, 1);
      });

      it('forgets pairs whose nonce expired', async () => {
        let now = Date.now();
        const guard = new DatabaseReplayGuard(database.db, () => now, 0);
        await guard.firstUse('old', '00000001', now + 10);
        now += 1000;
        await guard.firstUse('new', '00000001', now + 60_000);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const left = await database.db.selectFrom('digest_replays').select('nonce').where('nonce', 'in', ['old', 'new']).execute();
        assert.deepEqual(left.map((r) => r.nonce), ['new']);
      });
    });

    describe('the failed-answer throttle', () => {
      it('blocks a (public key, address) pair after 5 failures in a window, for the block time, and no other pair', async () => {
        let now = 5_000_000;
        const throttle = new DatabaseAuthFailureThrottle(database.db, { maxFailures: 5, windowMs: 60_000, blockMs: 300_000 }, () => now);
        const other = new DatabaseAuthFailureThrottle(database.db, { maxFailures: 5, windowMs: 60_000, blockMs: 300_000 }, () => now);
        for (let i = 0; i < 4; i += 1) {
          await (i % 2 === 0 ? throttle : other).recordFailure('victimky', '203.0.113.9');
        }
        assert.equal(await throttle.retryAfterSeconds('victimky', '203.0.113.9'), 0);
        await other.recordFailure('victimky', '203.0.113.9');
        assert.equal(await throttle.retryAfterSeconds('victimky', '203.0.113.9'), 300);
        assert.equal(await other.retryAfterSeconds('victimky', '198.51.100.1'), 0, 'the same key from another address');
        assert.equal(await other.retryAfterSeconds('otherkey', '203.0.113.9'), 0, 'another key from the same address');
        now += 299_500;
        assert.equal(await throttle.retryAfterSeconds('victimky', '203.0.113.9'), 1);
        now += 1000;
        assert.equal(await throttle.retryAfterSeconds('victimky', '203.0.113.9'), 0);
      });

      it('starts a new window once the old one is over', async () => {
        let now = 9_000_000;
        const throttle = new DatabaseAuthFailureThrottle(database.db, { maxFailures: 3, windowMs: 60_000, blockMs: 1000 }, () => now);
        await throttle.recordFailure('windowky', '192.0.2.1');
        await throttle.recordFailure('windowky', '192.0.2.1');
        now += 61_000;
        await throttle.recordFailure('windowky', '192.0.2.1');
        assert.equal(await throttle.retryAfterSeconds('windowky', '192.0.2.1'), 0);
      });
    });

    describe('write transactions', () => {
      it('commits everything or nothing', async () => {
        const org = organization('Atomic');
        await assert.rejects(
          database.writeTransaction(async (tx) => {
            await new OrganizationKyselyStore(tx).createOrganization(org);
            throw new Error('abort');
          }),
        );
        assert.equal(await new OrganizationKyselyStore(database.db).getOrganization(org.id), undefined);
        await database.writeTransaction((tx) => new OrganizationKyselyStore(tx).createOrganization(org));
        assert.deepEqual(await new OrganizationKyselyStore(database.db).getOrganization(org.id), org);
      });

      it('serializes concurrent read-then-write transactions without losing an update', async () => {
        const org = organization('Counter');
        await new OrganizationKyselyStore(database.db).createOrganization(org);
        await Promise.all(
          Array.from({ length: 20 }, () =>
            database.writeTransaction(async (tx) => {
              const row = await tx.selectFrom('organizations').select('inventory_version').where('id', '=', org.id).executeTakeFirstOrThrow();
              await tx.updateTable('organizations').set({ inventory_version: row.inventory_version + 1 }).where('id', '=', org.id).execute();
            }),
          ),
        );
        assert.equal((await new OrganizationKyselyStore(database.db).inventory(org.id)).version, 20);
      });
    });
  });
}
