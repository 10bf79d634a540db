/**
 * The store contract: one suite every storage implementation must pass. Each database factory gives
 * a fresh, migrated database; the suite is run once per dialect (see *.test.ts beside this file).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeyKyselyStore } from '../../src/features/api-keys/api-key-kysely-store.js';
import type { ApiKey } from '../../src/features/api-keys/api-key.js';
import { AuditKyselyStore } from '../../src/features/audit/audit-kysely-store.js';
import { ClusterKyselyStore } from '../../src/features/clusters/cluster-kysely-store.js';
import { TargetCallFaultKyselyStore } from '../../src/features/control/target-call-fault-kysely-store.js';
import type { TargetCallFault } from '../../src/features/control/target-call-fault.js';
import type { Cluster } from '../../src/features/clusters/cluster.js';
import type { NewAuditEvent } from '../../src/features/audit/audit.js';
import type { AvailableProject } from '../../src/features/link-tokens/available-project.js';
import { LinkTokenKyselyStore } from '../../src/features/link-tokens/link-token-kysely-store.js';
import type { LinkToken, ReceivedInventory } from '../../src/features/link-tokens/link-token.js';
import {
  LiveMigrationKyselyStore,
  LiveMigrationValidationKyselyStore,
  MigrationHostHeartbeatKyselyStore,
} from '../../src/features/live-migrations/live-migration-kysely-store.js';
import { LiveMigrationFaultKyselyStore } from '../../src/features/live-migrations/live-migration-fault-kysely-store.js';
import type {
  HostKey,
  LiveMigration,
  LiveMigrationFault,
  LiveMigrationValidation,
  MigrationPlan,
} from '../../src/features/live-migrations/live-migration.js';
import { MigrationHostKeyKyselyStore } from '../../src/features/migration-hosts/migration-host-key-kysely-store.js';
import { MigrationLinkKyselyStore } from '../../src/features/migration-link/migration-link-kysely-store.js';
import type { StoredMigrationLink } from '../../src/features/migration-link/migration-link-store.js';
import { OrganizationKyselyStore } from '../../src/features/organizations/organization-kysely-store.js';
import type { Deployment, Organization } from '../../src/features/organizations/organization.js';
import { UserKyselyStore } from '../../src/features/users/user-kysely-store.js';
import type { User } from '../../src/features/users/user.js';
import { SessionKyselyStore } from '../../src/features/web/session-kysely-store.js';
import type { WebSession } from '../../src/features/web/session-store.js';
import type { OpenedDatabase } from '../../src/persistence/database.js';
import { DatabaseAuthFailureThrottle } from '../../src/cross-node/database-auth-throttle.js';
import { DatabaseReplayGuard } from '../../src/cross-node/database-replay-guard.js';
import { newObjectId } from '../../src/shared/ids.js';
import { Lease } from '../../src/persistence/lease.js';
import { ClockKyselyStore } from '../../src/features/clock/clock-kysely-store.js';
import { SnapshotKyselyStore } from '../../src/features/snapshots/snapshot-kysely-store.js';
import { RESTORED_TABLES, type RestoredTable } from '../../src/persistence/database-snapshot.js';
import { latestMigrationName } from '../../src/persistence/migrations.js';
import { MAX_CLOCK_OFFSET_MS } from '../../src/shared/clock.js';
import { databaseTables, dumpRestoredTables, foreignKeys, POLICY_TABLES, seedEveryTable } from '../support/every-table.js';

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

    const organization = (name: string) => ({
      id: newObjectId(new Date()),
      name,
      requireAccessList: false,
      createdAt: '2026-01-01T00:00:00.000Z',
    });
    const deployment = (projectId: string, name: string): Deployment => ({
      id: newObjectId(new Date()),
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

    describe('control target-call faults', () => {
      const NOW = '2026-03-01T12:00:00.000Z';
      const fault = (overrides: Partial<TargetCallFault>): TargetCallFault => ({
        id: newObjectId(new Date()),
        call: 'link',
        failure: { kind: 'UNREACHABLE' },
        remainingCalls: null,
        expiresAt: null,
        createdAt: '2026-03-01T11:00:00.000Z',
        ...overrides,
      });

      it('adds, lists the active ones oldest first, takes the oldest of a call, and clears', async () => {
        const store = new TargetCallFaultKyselyStore(database.db);
        await store.clear(NOW);
        const status = fault({
          call: 'inventory',
          failure: { kind: 'STATUS', status: 503, body: '{"a":1}' },
          createdAt: '2026-03-01T11:00:02.000Z',
        });
        const delay = fault({ call: 'inventory', failure: { kind: 'DELAY', delayMs: 50 }, createdAt: '2026-03-01T11:00:01.000Z' });
        const expired = fault({ expiresAt: '2026-03-01T11:59:59.999Z' });
        const spent = fault({ remainingCalls: 0 });
        const lasting = fault({ call: 'unlink', expiresAt: '2026-03-01T12:00:00.001Z' });
        for (const each of [status, delay, expired, spent, lasting]) await store.add(each);
        assert.deepEqual(await store.listActive(NOW), [lasting, delay, status]);
        assert.deepEqual(await store.take('inventory', NOW), delay);
        assert.deepEqual(await store.take('unlink', NOW), lasting);
        assert.equal(await store.take('link', NOW), undefined);
        assert.equal(await store.take('migrationProgress', NOW), undefined);
        // Expiry is read against the time given, not the database's clock.
        assert.equal(await store.take('unlink', '2026-03-01T12:00:00.001Z'), undefined);
        assert.equal(await store.clear(NOW), 3);
        assert.deepEqual(await store.listActive('2000-01-01T00:00:00.000Z'), []);
        assert.equal(await store.clear(NOW), 0);
      });

      it('counts the calls of a next-N fault atomically: concurrent takes get exactly N', async () => {
        const store = new TargetCallFaultKyselyStore(database.db);
        await store.clear(NOW);
        const three = fault({ call: 'migrationProgress', remainingCalls: 3 });
        await store.add(three);
        const taken = await Promise.all(Array.from({ length: 12 }, () => store.take('migrationProgress', NOW)));
        assert.equal(taken.filter((t) => t !== undefined).length, 3);
        assert.deepEqual(await store.listActive(NOW), []);
        assert.equal(await store.take('migrationProgress', NOW), undefined);
      });
    });

    describe('organizations', () => {
      it('creates, finds and lists organizations', async () => {
        const store = new OrganizationKyselyStore(database.db, database.dialect);
        const a = organization('Alpha');
        const b = organization('Beta');
        await store.createOrganization(a);
        await store.createOrganization(b);
        assert.deepEqual(await store.getOrganization(a.id), a);
        assert.equal(await store.getOrganization(newObjectId(new Date())), undefined);
        assert.deepEqual(await store.findOrganizationByName('Beta'), b);
        assert.deepEqual(
          (await store.listOrganizations([b.id])).map((o) => o.id),
          [b.id],
        );
        assert.deepEqual(await store.listOrganizations([]), []);
        assert.ok((await store.listOrganizations()).length >= 2);
      });

      it('lists organizations by ids in id order, the unknown left out, each set of the same size with its own ids', async () => {
        const store = new OrganizationKyselyStore(database.db, database.dialect);
        const [a, b, c] = [organization('Ids A'), organization('Ids B'), organization('Ids C')];
        for (const org of [a, b, c]) await store.createOrganization(org);
        const unknown = newObjectId(new Date(0));
        const byId = (orgs: Organization[]) => [...orgs].sort((x, y) => (x.id < y.id ? -1 : 1));
        assert.deepEqual(await store.listOrganizations([c.id, unknown, a.id]), byId([a, c]));
        // Same number of ids, other ids: a query kept for that size must take the new ones.
        assert.deepEqual(await store.listOrganizations([b.id, c.id, unknown]), byId([b, c]));
        assert.deepEqual(await store.listOrganizations([unknown]), []);
      });

      it('sets the require-access-list setting, and says when the organization is missing', async () => {
        const store = new OrganizationKyselyStore(database.db, database.dialect);
        const org = organization('Strict');
        await store.createOrganization(org);
        assert.equal(await store.setRequireAccessList(org.id, true), true);
        assert.equal((await store.getOrganization(org.id))?.requireAccessList, true);
        assert.equal(await store.setRequireAccessList(newObjectId(new Date()), true), false);
      });

      it('bumps the inventory version on every inventory change, and returns the inventory', async () => {
        const store = new OrganizationKyselyStore(database.db, database.dialect);
        const org = organization('Inventory');
        await store.createOrganization(org);
        const version = async () => (await store.inventory(org.id)).version;
        assert.equal(await version(), 0);
        const project = { id: newObjectId(new Date()), orgId: org.id, name: 'P', createdAt: '2026-01-01T00:00:00.000Z' };
        await store.createProject(project);
        assert.equal(await version(), 1);
        const d = deployment(project.id, 'rs0');
        await store.createDeployment(d);
        assert.equal(await version(), 2);
        assert.deepEqual(await store.getDeployment(d.id), d);
        const updated = await store.updateDeployment(d.id, { mongoDBVersion: '7.0.2', sharded: true, shardsSize: 3 });
        assert.deepEqual(updated, { ...d, mongoDBVersion: '7.0.2', sharded: true, shardsSize: 3 });
        assert.equal(await version(), 3);
        assert.equal(await store.updateDeployment(newObjectId(new Date()), { name: 'x' }), undefined);
        await store.addMigrationHost({ id: newObjectId(new Date()), projectId: project.id, hostname: 'mh1' });
        assert.equal(await version(), 4);
        assert.equal(await store.removeMigrationHost(project.id, 'nope'), false);
        assert.equal(await version(), 4);
        const inventory = await store.inventory(org.id);
        assert.deepEqual(inventory.projects, [{ project, deployments: [updated], migrationHosts: ['mh1'] }]);
        assert.equal(await store.removeMigrationHost(project.id, 'mh1'), true);
        assert.equal(await version(), 5);
        assert.equal(await store.inventoryVersion(org.id), 5);
        assert.equal(await store.inventoryVersion(newObjectId(new Date())), undefined);
      });

      it('refuses a second project with the same name in one organization', async () => {
        const store = new OrganizationKyselyStore(database.db, database.dialect);
        const org = organization('Unique');
        await store.createOrganization(org);
        await store.createProject({ id: newObjectId(new Date()), orgId: org.id, name: 'Same', createdAt: '2026-01-01T00:00:00.000Z' });
        await assert.rejects(
          store.createProject({ id: newObjectId(new Date()), orgId: org.id, name: 'Same', createdAt: '2026-01-01T00:00:00.000Z' }),
        );
      });
    });

    describe('deployment connection strings', () => {
      async function projectWithDeployments(names: string[]) {
        const store = new OrganizationKyselyStore(database.db, database.dialect);
        const org = organization(`Reach ${newObjectId(new Date())}`);
        await store.createOrganization(org);
        const project = { id: newObjectId(new Date()), orgId: org.id, name: 'P', createdAt: '2026-01-01T00:00:00.000Z' };
        await store.createProject(project);
        const deployments = names.map((name) => deployment(project.id, name));
        for (const d of deployments) await store.createDeployment(d);
        return { store, org, project, deployments };
      }

      it('keeps a sealed connection string apart from the deployment, and out of the inventory', async () => {
        const { store, org, project } = await projectWithDeployments([]);
        const d = deployment(project.id, 'rs0');
        await store.createDeployment(d, 'sealed-at-create');
        assert.deepEqual(await store.getDeployment(d.id), d, 'the Deployment carries no connection string');
        assert.equal(await store.deploymentConnectionString(d.id), 'sealed-at-create');
        const inventory = await store.inventory(org.id);
        assert.deepEqual(inventory.projects[0]?.deployments, [d]);
        assert.doesNotMatch(JSON.stringify(inventory), /sealed-at-create/);
        assert.deepEqual(await store.listDeployments(project.id), [d]);
        assert.doesNotMatch(JSON.stringify(await store.listDeployments(project.id)), /sealed/);
      });

      it('sets, replaces and removes it without bumping the inventory version; an unknown deployment is false', async () => {
        const { store, org, deployments } = await projectWithDeployments(['rs0', 'rs1']);
        const [rs0, rs1] = deployments as [Deployment, Deployment];
        const version = await store.inventoryVersion(org.id);
        assert.equal(await store.deploymentConnectionString(rs0.id), undefined, 'none until one is set');
        assert.equal(await store.setDeploymentConnectionString(rs0.id, 'sealed-1'), true);
        assert.equal(await store.deploymentConnectionString(rs0.id), 'sealed-1');
        assert.equal(await store.deploymentConnectionString(rs1.id), undefined, 'only that deployment');
        assert.equal(await store.inventoryVersion(org.id), version, 'the connection string is no part of the inventory');
        assert.equal(await store.setDeploymentConnectionString(newObjectId(new Date()), 'sealed-x'), false);
        assert.equal(await store.deploymentConnectionString(newObjectId(new Date())), undefined);
        // A change of the facts leaves the connection string as it was.
        await store.updateDeployment(rs0.id, { mongoDBVersion: '7.0.1' });
        assert.equal(await store.deploymentConnectionString(rs0.id), 'sealed-1');
        assert.equal(await store.replaceDeploymentConnectionString(rs0.id, 'not-current', 'sealed-2'), false);
        assert.equal(await store.replaceDeploymentConnectionString(rs0.id, 'sealed-1', 'sealed-2'), true);
        assert.equal(await store.deploymentConnectionString(rs0.id), 'sealed-2');
        assert.equal(await store.setDeploymentConnectionString(rs0.id, null), true);
        assert.equal(await store.deploymentConnectionString(rs0.id), undefined);
      });

      it("lists the sealed strings of one project's deployments, or of all", async () => {
        const a = await projectWithDeployments(['rs0', 'rs1']);
        const b = await projectWithDeployments(['rs0']);
        const [a0] = a.deployments as [Deployment];
        const [b0] = b.deployments as [Deployment];
        await a.store.setDeploymentConnectionString(a0.id, 'sealed-a0');
        await b.store.setDeploymentConnectionString(b0.id, 'sealed-b0');
        assert.deepEqual(await a.store.deploymentConnectionStrings(a.project.id), [
          { deploymentId: a0.id, projectId: a.project.id, sealed: 'sealed-a0' },
        ]);
        const all = await a.store.deploymentConnectionStrings();
        assert.ok(all.some((entry) => entry.deploymentId === a0.id && entry.sealed === 'sealed-a0'));
        assert.ok(all.some((entry) => entry.deploymentId === b0.id && entry.sealed === 'sealed-b0'));
        assert.ok(
          all.every((entry) => entry.sealed.length > 0),
          'deployments without one are left out',
        );
      });

      it('finds a deployment by name within its project only', async () => {
        const a = await projectWithDeployments(['rs0', 'rs1']);
        const b = await projectWithDeployments(['rs0']);
        assert.deepEqual(await a.store.findDeploymentByName(a.project.id, 'rs1'), a.deployments[1]);
        assert.deepEqual(await a.store.findDeploymentByName(b.project.id, 'rs0'), b.deployments[0]);
        assert.equal(await a.store.findDeploymentByName(b.project.id, 'rs1'), undefined);
        assert.equal(await a.store.findDeploymentByName(newObjectId(new Date()), 'rs0'), undefined);
      });
    });

    describe('clusters', () => {
      async function project() {
        const orgs = new OrganizationKyselyStore(database.db, database.dialect);
        const org = organization(`Atlas ${newObjectId(new Date())}`);
        await orgs.createOrganization(org);
        const created = { id: newObjectId(new Date()), orgId: org.id, name: 'Atlas Project', createdAt: '2026-01-01T00:00:00.000Z' };
        await orgs.createProject(created);
        return { orgs, project: created };
      }
      const cluster = (groupId: string, name: string): Cluster => ({
        id: newObjectId(new Date()),
        groupId,
        name,
        mongoDBVersion: '8.0.4',
        createdAt: '2026-01-02T00:00:00.000Z',
      });

      it('stores clusters with their sealed connection strings, finds them by id and by name in the project, lists by name', async () => {
        const store = new ClusterKyselyStore(database.db);
        const { project: a } = await project();
        const { project: b } = await project();
        const zeta = cluster(a.id, 'zeta');
        const alpha = cluster(a.id, 'alpha');
        const other = cluster(b.id, 'alpha');
        await store.create(zeta, 'sealed-zeta');
        await store.create(alpha, 'sealed-alpha');
        await store.create(other, 'sealed-other');
        assert.deepEqual(await store.get(zeta.id), { cluster: zeta, sealedConnectionString: 'sealed-zeta' });
        assert.equal(await store.get(newObjectId(new Date())), undefined);
        assert.deepEqual(await store.findByName(a.id, 'alpha'), { cluster: alpha, sealedConnectionString: 'sealed-alpha' });
        assert.deepEqual(await store.findByName(b.id, 'alpha'), { cluster: other, sealedConnectionString: 'sealed-other' });
        assert.equal(await store.findByName(b.id, 'zeta'), undefined);
        assert.deepEqual(
          (await store.list(a.id)).map((entry) => entry.cluster),
          [alpha, zeta],
        );
        assert.deepEqual(await store.list(newObjectId(new Date())), []);
      });

      it('refuses a second cluster of the same name in a project', async () => {
        const store = new ClusterKyselyStore(database.db);
        const { project: a } = await project();
        await store.create(cluster(a.id, 'Cluster0'), 'sealed');
        await assert.rejects(store.create(cluster(a.id, 'Cluster0'), 'sealed'));
        assert.equal((await store.list(a.id)).length, 1);
      });

      it('deletes a cluster of the project only, and says when there was none', async () => {
        const store = new ClusterKyselyStore(database.db);
        const { project: a } = await project();
        const { project: b } = await project();
        const c = cluster(a.id, 'Cluster0');
        await store.create(c, 'sealed');
        assert.equal(await store.delete(b.id, 'Cluster0'), false);
        assert.equal(await store.delete(a.id, 'Cluster1'), false);
        assert.equal(await store.delete(a.id, 'Cluster0'), true);
        assert.equal(await store.get(c.id), undefined);
        assert.equal(await store.delete(a.id, 'Cluster0'), false);
      });

      it('goes with its project', async () => {
        const store = new ClusterKyselyStore(database.db);
        const { project: a } = await project();
        const c = cluster(a.id, 'Cluster0');
        await store.create(c, 'sealed');
        await database.db.deleteFrom('projects').where('id', '=', a.id).execute();
        assert.equal(await store.get(c.id), undefined);
      });

      it('lists every sealed connection string and replaces one only while it is still the one read', async () => {
        const store = new ClusterKyselyStore(database.db);
        const { project: a } = await project();
        const c = cluster(a.id, 'Cluster0');
        await store.create(c, 'sealed-old');
        assert.ok(
          (await store.sealedConnectionStrings()).some(
            (entry) => entry.id === c.id && entry.groupId === a.id && entry.sealed === 'sealed-old',
          ),
        );
        assert.equal(await store.replaceSealedConnectionString(c.id, 'not-current', 'sealed-new'), false);
        assert.equal(await store.replaceSealedConnectionString(c.id, 'sealed-old', 'sealed-new'), true);
        assert.equal((await store.get(c.id))?.sealedConnectionString, 'sealed-new');
        assert.equal(await store.replaceSealedConnectionString(newObjectId(new Date()), 'sealed-new', 'x'), false);
      });

      it('points a cluster at another server: its version and sealed connection string, nothing else', async () => {
        const store = new ClusterKyselyStore(database.db);
        const { project: a } = await project();
        const c = cluster(a.id, 'Cluster0');
        await store.create(c, 'sealed-old');
        assert.equal(await store.update(c.id, '8.0.5', 'sealed-new'), true);
        assert.deepEqual(await store.get(c.id), { cluster: { ...c, mongoDBVersion: '8.0.5' }, sealedConnectionString: 'sealed-new' });
        assert.equal(await store.update(newObjectId(new Date()), '8.0.5', 'x'), false);
      });
    });

    describe('API keys', () => {
      const key = (orgId: string | null, publicKey: string): ApiKey => ({
        id: newObjectId(new Date()),
        publicKey,
        orgId,
        description: 'a key',
        roles: orgId === null ? ['GLOBAL_OWNER'] : ['ORG_OWNER', 'ORG_MEMBER'],
        accessList: ['10.0.0.0/8', '192.0.2.1'],
        createdAt: '2026-01-01T00:00:00.000Z',
      });

      it('stores a key with its sealed secret and access list, finds it by public key, lists and deletes it', async () => {
        const orgs = new OrganizationKyselyStore(database.db, database.dialect);
        const org = organization('Keys');
        await orgs.createOrganization(org);
        const store = new ApiKeyKyselyStore(database.db);
        const k = key(org.id, 'abcdefgh');
        await store.create(k, 'sealed-secret');
        assert.deepEqual(await store.findByPublicKey('abcdefgh'), { apiKey: k, sealedDigestSecret: 'sealed-secret' });
        assert.equal(await store.findByPublicKey('zzzzzzzz'), undefined);
        assert.deepEqual(await store.get(k.id), k);
        assert.deepEqual(
          (await store.list(org.id)).map((x) => x.id),
          [k.id],
        );
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

      it('replaces a sealed secret only while it is still the one read', async () => {
        const store = new ApiKeyKyselyStore(database.db);
        const k = key(null, 'resealky');
        await store.create(k, 'sealed-1');
        assert.ok((await store.sealedSecrets()).some((s) => s.id === k.id && s.orgId === null && s.sealedDigestSecret === 'sealed-1'));
        assert.equal(await store.replaceSealedSecret(k.id, 'sealed-1', 'sealed-2'), true);
        assert.equal(await store.replaceSealedSecret(k.id, 'sealed-1', 'sealed-3'), false);
        assert.equal((await store.findByPublicKey('resealky'))?.sealedDigestSecret, 'sealed-2');
      });

      it("changes a key's description and roles, keeping its secret and access list", async () => {
        const store = new ApiKeyKyselyStore(database.db);
        const k = key(null, 'updateky');
        await store.create(k, 'sealed');
        assert.equal(await store.update(k.id, { description: 'renamed', roles: ['GLOBAL_READ_ONLY'] }), true);
        assert.deepEqual(await store.findByPublicKey('updateky'), {
          apiKey: { ...k, description: 'renamed', roles: ['GLOBAL_READ_ONLY'] },
          sealedDigestSecret: 'sealed',
        });
        assert.equal(await store.update(newObjectId(new Date()), { description: 'x', roles: [] }), false);
      });
    });

    describe('migration host keys', () => {
      async function projectWithHosts(hostnames: string[]) {
        const orgs = new OrganizationKyselyStore(database.db, database.dialect);
        const org = organization(`Hosts ${newObjectId(new Date())}`);
        await orgs.createOrganization(org);
        const project = { id: newObjectId(new Date()), orgId: org.id, name: 'P', createdAt: '2026-01-01T00:00:00.000Z' };
        await orgs.createProject(project);
        for (const hostname of hostnames) await orgs.addMigrationHost({ id: newObjectId(new Date()), projectId: project.id, hostname });
        return { orgs, org, project };
      }
      async function hostKey(orgId: string): Promise<ApiKey> {
        const apiKey: ApiKey = {
          id: newObjectId(new Date()),
          publicKey: `h${newObjectId(new Date()).slice(-7)}`,
          orgId,
          description: 'a host key',
          roles: ['ORG_MIGRATION_HOST'],
          accessList: [],
          createdAt: '2026-01-01T00:00:00.000Z',
        };
        await new ApiKeyKyselyStore(database.db).create(apiKey, 'sealed');
        return apiKey;
      }

      it('finds a host without a key, binds one key once, and finds the host by its key', async () => {
        const { org, project } = await projectWithHosts(['mh1', 'mh2']);
        const store = new MigrationHostKeyKyselyStore(database.db);
        const mh1 = await store.find(project.id, 'mh1');
        assert.deepEqual({ ...mh1, hostId: '' }, { hostId: '', projectId: project.id, hostname: 'mh1', apiKeyId: null });
        assert.equal(await store.find(project.id, 'ghost'), undefined);
        assert.equal(await store.find(newObjectId(new Date()), 'mh1'), undefined);

        const key = await hostKey(org.id);
        assert.equal(await store.bindKey(mh1?.hostId ?? '', key.id), true);
        assert.equal((await store.find(project.id, 'mh1'))?.apiKeyId, key.id);
        assert.deepEqual(await store.findByApiKey(key.id), { ...mh1, apiKeyId: key.id });
        assert.equal((await store.find(project.id, 'mh2'))?.apiKeyId, null, 'only that host');
        // A host with a key keeps it; one key serves one host.
        assert.equal(await store.bindKey(mh1?.hostId ?? '', (await hostKey(org.id)).id), false);
        const mh2 = await store.find(project.id, 'mh2');
        await assert.rejects(store.bindKey(mh2?.hostId ?? '', key.id));
        assert.equal(await store.bindKey(newObjectId(new Date()), (await hostKey(org.id)).id), false);
        assert.equal(await store.findByApiKey(newObjectId(new Date())), undefined);
      });

      it('leaves the host without a key when its key is deleted, and forgets the key with the host', async () => {
        const { orgs, org, project } = await projectWithHosts(['mh1', 'mh2']);
        const store = new MigrationHostKeyKyselyStore(database.db);
        const [first, second] = [await hostKey(org.id), await hostKey(org.id)];
        await store.bindKey((await store.find(project.id, 'mh1'))?.hostId ?? '', first.id);
        await store.bindKey((await store.find(project.id, 'mh2'))?.hostId ?? '', second.id);
        assert.equal(await new ApiKeyKyselyStore(database.db).delete(first.id), true);
        assert.equal((await store.find(project.id, 'mh1'))?.apiKeyId, null);
        assert.equal(await store.findByApiKey(first.id), undefined);
        assert.equal(await orgs.removeMigrationHost(project.id, 'mh2'), true);
        assert.equal(await store.findByApiKey(second.id), undefined);
      });
    });

    describe('migration links', () => {
      const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes)).toISOString();
      const claim = (orgId: string, claimedAt: string, tokenDigest = 'digest-1'): StoredMigrationLink => ({
        link: {
          orgId,
          state: 'PENDING',
          targetOrgId: 'a'.repeat(24),
          targetOrgName: 'Atlas Org',
          status: 'NOT_SYNCED',
          createdAt: claimedAt,
          claimedAt,
          lastSyncedAt: null,
          lastAttemptAt: null,
          lastError: null,
        },
        sealedLinkToken: 'sealed-token',
        tokenDigest,
        syncedInventoryVersion: -1,
      });
      const linkedOrganization = async (name: string, lastAttempt = at(30)): Promise<string> => {
        const org = organization(name);
        await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        const store = new MigrationLinkKyselyStore(database.db, database.dialect);
        await store.insertClaim(claim(org.id, at(0)));
        await store.confirmClaim(org.id, at(0), { at: lastAttempt, pushedVersion: 0, due: false });
        return org.id;
      };

      it('keeps a claim until it is confirmed or removed, and refuses a second one for the organization', async () => {
        const org = organization('Claimed');
        await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        const store = new MigrationLinkKyselyStore(database.db, database.dialect);
        assert.equal(await store.get(org.id), undefined);
        assert.deepEqual(await store.statusesOf([org.id]), new Map());
        await store.insertClaim(claim(org.id, at(0)));
        assert.deepEqual(await store.get(org.id), claim(org.id, at(0)));
        assert.deepEqual(await store.statusesOf([org.id]), new Map([[org.id, { state: 'PENDING', status: 'NOT_SYNCED' }]]));
        await assert.rejects(store.insertClaim(claim(org.id, at(1))));
        await store.removeClaim(org.id, at(1));
        assert.ok(await store.get(org.id), 'another claim time removes nothing');
        await store.removeClaim(org.id, at(0));
        assert.equal(await store.get(org.id), undefined);

        await store.insertClaim(claim(org.id, at(2)));
        await store.confirmClaim(org.id, at(1), { at: at(3), pushedVersion: 4, due: false });
        assert.equal((await store.get(org.id))?.link.state, 'PENDING', 'another claim time confirms nothing');
        await store.confirmClaim(org.id, at(2), { at: at(3), pushedVersion: 4, due: false });
        assert.deepEqual(await store.get(org.id), {
          ...claim(org.id, at(2)),
          link: { ...claim(org.id, at(2)).link, state: 'LINKED', status: 'SYNCED', lastSyncedAt: at(3), lastAttemptAt: at(3) },
          syncedInventoryVersion: 4,
        });
        assert.deepEqual(await store.statusesOf([org.id]), new Map([[org.id, { state: 'LINKED', status: 'SYNCED' }]]));
        await store.removeClaim(org.id, at(2));
        assert.ok(await store.get(org.id), 'a confirmed link is no claim to remove');
      });

      it('reads the statuses of several organizations at once, leaving out those without a link', async () => {
        const store = new MigrationLinkKyselyStore(database.db, database.dialect);
        const linked = await linkedOrganization('Status linked');
        const [pending, unlinked] = [organization('Status pending'), organization('Status unlinked')];
        for (const org of [pending, unlinked]) await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        await store.insertClaim(claim(pending.id, at(0)));
        await store.recordPush(linked, 'digest-1', { at: at(40), error: 'unreachable', pushedVersion: 1, due: true });
        assert.deepEqual(
          await store.statusesOf([unlinked.id, linked, newObjectId(new Date()), pending.id]),
          new Map([
            [linked, { state: 'LINKED', status: 'NOT_SYNCED' }],
            [pending.id, { state: 'PENDING', status: 'NOT_SYNCED' }],
          ]),
        );
        // Every number of ids is its own statement: one read, then two, then one again.
        assert.deepEqual([...(await store.statusesOf([linked])).keys()], [linked]);
        assert.deepEqual([...(await store.statusesOf([unlinked.id, pending.id])).keys()], [pending.id]);
      });

      it('records pushes of the link that holds the token, and deletes only that link', async () => {
        const orgId = await linkedOrganization('Pushed');
        const store = new MigrationLinkKyselyStore(database.db, database.dialect);
        await store.recordPush(orgId, 'digest-1', {
          at: at(40),
          error: 'The Atlas API did not answer in time.',
          pushedVersion: 5,
          due: false,
        });
        let stored = await store.get(orgId);
        assert.deepEqual(stored?.link, {
          ...stored?.link,
          status: 'NOT_SYNCED',
          lastSyncedAt: at(30),
          lastAttemptAt: at(40),
          lastError: 'The Atlas API did not answer in time.',
        });
        assert.equal(stored?.syncedInventoryVersion, 5);
        await store.recordPush(orgId, 'digest-1', { at: at(50), error: null, pushedVersion: 6, due: false });
        stored = await store.get(orgId);
        assert.deepEqual([stored?.link.status, stored?.link.lastSyncedAt, stored?.link.lastError], ['SYNCED', at(50), null]);
        await store.recordPush(orgId, 'digest-2', { at: at(55), error: 'another token', pushedVersion: 7, due: true });
        assert.equal((await store.get(orgId))?.link.lastAttemptAt, at(50), 'another token records nothing');
        await store.delete(orgId, 'digest-2');
        assert.ok(await store.get(orgId), 'another token deletes nothing');
        await store.delete(orgId, 'digest-1');
        assert.equal(await store.get(orgId), undefined);
      });

      it('lists as due the linked organizations marked due, then those not attempted since the cutoff, each once', async () => {
        const store = new MigrationLinkKyselyStore(database.db, database.dialect);
        const [fresh, marked, old, older, both] = [
          await linkedOrganization('Due fresh', at(30)),
          await linkedOrganization('Due marked', at(30)),
          await linkedOrganization('Due old', at(10)),
          await linkedOrganization('Due older', at(5)),
          await linkedOrganization('Due both', at(8)),
        ];
        const pending = organization('Due pending');
        await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(pending);
        await store.insertClaim(claim(pending.id, at(0)));
        const mine = new Set([fresh, marked, old, older, both, pending.id]);
        const due = async () => (await store.dueOrgIds(at(20))).filter((id) => mine.has(id));

        assert.deepEqual(await due(), [older, both, old]);
        await store.markDue(marked);
        await store.markDue(both);
        await store.markDue(pending.id);
        await store.markDue(newObjectId(new Date()));
        const listed = await due();
        assert.deepEqual(new Set(listed.slice(0, 2)), new Set([marked, both]));
        assert.deepEqual(listed.slice(2), [older, old]);
        await store.recordPush(marked, 'digest-1', { at: at(31), error: null, pushedVersion: 1, due: false });
        await store.recordPush(both, 'digest-1', { at: at(31), error: null, pushedVersion: 1, due: true });
        assert.deepEqual(
          await due(),
          [both, older, old],
          'a push that carried the current version clears the mark; one that did not keeps it',
        );
      });

      it('finds the claims made before a time, never a confirmed link', async () => {
        const store = new MigrationLinkKyselyStore(database.db, database.dialect);
        const [stale, recent] = [organization('Stale claim'), organization('Recent claim')];
        for (const org of [stale, recent]) await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        await store.insertClaim(claim(stale.id, at(1)));
        await store.insertClaim(claim(recent.id, at(9)));
        const linked = await linkedOrganization('Linked long ago');
        const found = (await store.staleClaims(at(5))).filter((c) => [stale.id, recent.id, linked].includes(c.orgId));
        assert.deepEqual(found, [{ orgId: stale.id, targetOrgId: 'a'.repeat(24), claimedAt: at(1) }]);
      });

      it('replaces a sealed token only while it is still the one read', async () => {
        const orgId = await linkedOrganization('Resealed');
        const store = new MigrationLinkKyselyStore(database.db, database.dialect);
        assert.ok((await store.sealedTokens()).some((t) => t.orgId === orgId && t.sealedLinkToken === 'sealed-token'));
        assert.equal(await store.replaceSealedToken(orgId, 'sealed-token', 'resealed'), true);
        assert.equal(await store.replaceSealedToken(orgId, 'sealed-token', 'again'), false);
        assert.equal((await store.get(orgId))?.sealedLinkToken, 'resealed');
      });
    });

    describe('link-tokens', () => {
      const organizationWithKey = async (name: string) => {
        const org = organization(name);
        await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        const apiKey: ApiKey = {
          id: newObjectId(new Date()),
          publicKey: `k${newObjectId(new Date()).slice(-7)}`,
          orgId: org.id,
          description: 'link-token key',
          roles: ['ORG_LIVE_MIGRATION_LINK'],
          accessList: [],
          createdAt: '2026-01-01T00:00:00.000Z',
        };
        await new ApiKeyKyselyStore(database.db).create(apiKey, 'sealed');
        return { orgId: org.id, apiKeyId: apiKey.id };
      };
      const project = (name: string): AvailableProject => ({
        deployments: [],
        migrationHosts: ['mh1.example.com'],
        name,
        projectId: newObjectId(new Date()),
      });

      it('stores tokens, finds one by its key within the organization only, and removes them with what was pushed under them', async () => {
        const store = new LinkTokenKyselyStore(database.db);
        const { orgId, apiKeyId } = await organizationWithKey('Tokens');
        const other = await organizationWithKey('Other tokens');
        const first: LinkToken = {
          id: newObjectId(new Date()),
          orgId,
          apiKeyId,
          accessList: ['192.0.2.1/32'],
          createdAt: '2026-01-01T00:00:00.000Z',
        };
        const second: LinkToken = { ...first, id: newObjectId(new Date()), accessList: [] };
        await store.create(first);
        await store.create(second);
        await store.create({ ...first, id: newObjectId(new Date()), orgId: other.orgId, apiKeyId: other.apiKeyId });
        assert.deepEqual(
          await store.list(orgId),
          [first, second].sort((a, b) => a.id.localeCompare(b.id)),
        );
        assert.equal((await store.findByApiKey(orgId, apiKeyId))?.orgId, orgId);
        assert.equal(await store.findByApiKey(other.orgId, apiKeyId), undefined);
        await store.putInventory({
          targetOrgId: orgId,
          sourceOrgId: newObjectId(new Date()),
          linkTokenId: first.id,
          sourceOrgName: 'Source',
          projects: [project('P')],
          pushedAt: '2026-01-01T00:00:00.000Z',
        });
        await store.deleteAll(orgId);
        assert.deepEqual(await store.list(orgId), []);
        assert.deepEqual(await store.availableProjects(orgId), []);
        assert.equal((await store.list(other.orgId)).length, 1, "another organization's tokens stay");
      });

      it('keeps one push a source, replaced by the next, lists the projects by source, and forgets a source', async () => {
        const store = new LinkTokenKyselyStore(database.db);
        const { orgId, apiKeyId } = await organizationWithKey('Pushed to');
        const token: LinkToken = { id: newObjectId(new Date()), orgId, apiKeyId, accessList: [], createdAt: '2026-01-01T00:00:00.000Z' };
        await store.create(token);
        const [sourceA, sourceB] = [newObjectId(new Date()), newObjectId(new Date())].sort();
        const push = (sourceOrgId: string, projects: AvailableProject[]): ReceivedInventory => ({
          targetOrgId: orgId,
          sourceOrgId,
          linkTokenId: token.id,
          sourceOrgName: 'Source',
          projects,
          pushedAt: '2026-01-01T00:00:00.000Z',
        });
        const [a1, a2, b1] = [project('A1'), project('A2'), project('B1')];
        await store.putInventory(push(sourceB as string, [b1]));
        await store.putInventory(push(sourceA as string, [project('replaced')]));
        await store.putInventory(push(sourceA as string, [a1, a2]));
        assert.deepEqual(await store.availableProjects(orgId), [a1, a2, b1]);
        assert.deepEqual(await store.linkedSources(orgId), [push(sourceA as string, [a1, a2]), push(sourceB as string, [b1])]);
        await store.forgetSource(orgId, sourceA as string);
        assert.deepEqual(await store.availableProjects(orgId), [b1]);
        assert.deepEqual(await store.availableProjects(newObjectId(new Date())), []);
      });
    });

    describe('live migrations', () => {
      const host = async (name: string): Promise<HostKey & { groupId: string }> => {
        const organizations = new OrganizationKyselyStore(database.db, database.dialect);
        const org = organization(name);
        await organizations.createOrganization(org);
        const groupId = newObjectId(new Date());
        await organizations.createProject({ id: groupId, orgId: org.id, name: 'Atlas project', createdAt: '2026-01-01T00:00:00.000Z' });
        return {
          orgId: org.id,
          groupId,
          sourceOrgId: newObjectId(new Date()),
          sourceGroupId: newObjectId(new Date()),
          hostname: 'mh1.example.com',
        };
      };
      const plan = (at: HostKey & { groupId: string }): MigrationPlan => ({
        orgId: at.orgId,
        groupId: at.groupId,
        sourceOrgId: at.sourceOrgId,
        sourceGroupId: at.sourceGroupId,
        sourceClusterName: 'rs0',
        destinationClusterId: newObjectId(new Date()),
        destinationClusterName: 'dest',
        migrationHost: at.hostname,
        dropDestinationData: true,
        managedAuthentication: false,
        ssl: true,
        caCertificatePath: '/etc/ca.pem',
      });
      const migration = (at: HostKey & { groupId: string }, createdAt: string, changes: Partial<LiveMigration> = {}): LiveMigration => ({
        id: newObjectId(new Date()),
        plan: plan(at),
        sealedCredentials: 'sealed',
        status: 'NEW',
        phase: null,
        readyForCutover: false,
        readySince: null,
        lagSeconds: null,
        documentsCopied: 0,
        collectionsCopied: 0,
        collectionsToCopy: 0,
        changesApplied: 0,
        errorMessage: null,
        cutoverRequestedAt: null,
        endedAt: null,
        lastReportAt: null,
        stopAcknowledged: false,
        createdAt,
        ...changes,
      });

      it('stores a migration with its plan, saves its progress (large counters and fractional lag included) and lists the active ones', async () => {
        const store = new LiveMigrationKyselyStore(database.db);
        const at = await host('Migrations');
        const first = migration(at, '2026-01-01T00:00:00.000Z');
        const second = migration(at, '2026-01-02T00:00:00.000Z');
        await store.insert(second);
        await store.insert(first);
        assert.deepEqual(await store.get(first.id), first);
        assert.equal(await store.get(newObjectId(new Date())), undefined);
        assert.deepEqual(await store.active(at.orgId), [first, second]);
        const working: LiveMigration = {
          ...first,
          status: 'WORKING',
          phase: 'TAILING',
          readyForCutover: true,
          readySince: '2026-01-01T01:00:00.000Z',
          lagSeconds: 1.25,
          documentsCopied: 5_000_000_000,
          collectionsCopied: 3,
          collectionsToCopy: 4,
          changesApplied: 3_000_000_000,
          lastReportAt: '2026-01-01T01:00:00.000Z',
          cutoverRequestedAt: '2026-01-01T02:00:00.000Z',
        };
        await store.save(working);
        assert.deepEqual(await store.get(first.id), working);
        await store.save({
          ...second,
          status: 'FAILED',
          errorMessage: 'gone',
          endedAt: '2026-01-03T00:00:00.000Z',
          sealedCredentials: null,
        });
        assert.deepEqual(await store.active(at.orgId), [working]);
        assert.deepEqual(await store.active(newObjectId(new Date())), []);
        const elsewhere = migration(await host('Other migrations'), '2026-01-04T00:00:00.000Z');
        await store.insert(elsewhere);
        // The suite's database holds other tests' migrations too: only these ones are looked at.
        const everywhere = (await store.allActive()).filter((m) => [first.id, second.id, elsewhere.id].includes(m.id));
        assert.deepEqual(everywhere, [working, elsewhere], 'every organization’s, oldest first, without the ended one');
        const sealed = (await store.withCredentials()).map((m) => m.id);
        assert.ok(sealed.includes(first.id) && !sealed.includes(second.id), 'only the migrations that still hold credentials');
        assert.deepEqual(
          (await store.recent(at.orgId, 10)).map((m) => m.id),
          [second.id, first.id],
          'the organization’s latest, newest first',
        );
        assert.deepEqual(
          (await store.recent(at.orgId, 1)).map((m) => m.id),
          [second.id],
        );
        assert.deepEqual(await store.recent(newObjectId(new Date()), 10), []);
      });

      it('finds the migrations ready and not cut over before a time, and a host’s jobs: active, or ended with the host not told', async () => {
        const store = new LiveMigrationKyselyStore(database.db);
        const at = await host('Host jobs');
        const ready = migration(at, '2026-02-01T00:00:00.000Z', {
          status: 'WORKING',
          readyForCutover: true,
          readySince: '2026-02-01T00:00:00.000Z',
        });
        const cutOver = migration(at, '2026-02-01T00:00:01.000Z', {
          status: 'WORKING',
          readyForCutover: true,
          readySince: '2026-02-01T00:00:00.000Z',
          cutoverRequestedAt: '2026-02-01T00:00:00.000Z',
        });
        const told = migration(at, '2026-02-01T00:00:02.000Z', {
          status: 'EXPIRED',
          readySince: '2026-01-01T00:00:00.000Z',
          stopAcknowledged: true,
        });
        const untold = migration(at, '2026-02-01T00:00:03.000Z', { status: 'FAILED', stopAcknowledged: false });
        const complete = migration(at, '2026-02-01T00:00:04.000Z', { status: 'COMPLETE' });
        const elsewhere = migration({ ...at, hostname: 'mh2.example.com' }, '2026-02-01T00:00:05.000Z');
        for (const m of [ready, cutOver, told, untold, complete, elsewhere]) await store.insert(m);
        const due = await store.readyUncutBefore('2026-02-01T00:00:00.001Z');
        assert.deepEqual(
          due.filter((m) => m.plan.orgId === at.orgId).map((m) => m.id),
          [ready.id],
        );
        assert.deepEqual(
          (await store.readyUncutBefore('2026-02-01T00:00:00.000Z')).filter((m) => m.plan.orgId === at.orgId),
          [],
        );
        assert.deepEqual(
          (await store.forHost(at)).map((m) => m.id),
          [ready.id, cutOver.id, untold.id],
        );
        assert.deepEqual(await store.forHost({ ...at, sourceGroupId: newObjectId(new Date()) }), []);
      });

      it('stores validations, saves their end, and lists a host’s PENDING ones oldest first', async () => {
        const store = new LiveMigrationValidationKyselyStore(database.db);
        const at = await host('Validations');
        const validation = (createdAt: string): LiveMigrationValidation => ({
          id: newObjectId(new Date()),
          plan: { ...plan(at), managedAuthentication: true, caCertificatePath: null, dropDestinationData: false, ssl: false },
          sealedCredentials: null,
          status: 'PENDING',
          errorMessage: null,
          createdAt,
          finishedAt: null,
        });
        const [later, earlier, ended] = [
          validation('2026-03-02T00:00:00.000Z'),
          validation('2026-03-01T00:00:00.000Z'),
          validation('2026-03-01T00:00:00.000Z'),
        ];
        for (const v of [later, earlier, ended]) await store.insert(v);
        assert.deepEqual(await store.get(earlier.id), earlier);
        assert.equal(await store.get(newObjectId(new Date())), undefined);
        const failed: LiveMigrationValidation = {
          ...ended,
          status: 'FAILED',
          errorMessage: 'Source appears to be a standalone',
          finishedAt: '2026-03-03T00:00:00.000Z',
        };
        await store.save(failed);
        assert.deepEqual(await store.get(ended.id), failed);
        assert.deepEqual(
          (await store.pendingForHost(at)).map((v) => v.id),
          [earlier.id, later.id],
        );
        assert.deepEqual(await store.pendingForHost({ ...at, hostname: 'other' }), []);
        await store.save({ ...later, sealedCredentials: 'sealed' });
        const sealed = (await store.withCredentials()).map((v) => v.id);
        assert.ok(sealed.includes(later.id) && !sealed.includes(earlier.id), 'only the validations that still hold credentials');
        const recent = (await store.recent(at.orgId, 2)).map((v) => v.id);
        assert.equal(recent.length, 2);
        assert.equal(recent[0], later.id, 'newest first');
        assert.deepEqual(await store.recent(newObjectId(new Date()), 10), []);
      });

      it('keeps one fault of each kind a migration, lists them oldest first, removes and clears them', async () => {
        const migrations = new LiveMigrationKyselyStore(database.db);
        const store = new LiveMigrationFaultKyselyStore(database.db);
        const at = await host('Faults');
        const [first, second] = [migration(at, '2026-05-01T00:00:00.000Z'), migration(at, '2026-05-01T00:00:01.000Z')];
        for (const m of [first, second]) await migrations.insert(m);
        const ours = async () => (await store.list()).filter((f) => f.liveMigrationId === first.id || f.liveMigrationId === second.id);
        const failAt: LiveMigrationFault = {
          liveMigrationId: first.id,
          kind: 'FAIL_AT_PHASE',
          phase: 'COPY',
          reason: 'disk full',
          createdAt: '2026-05-02T00:00:00.000Z',
        };
        const held: LiveMigrationFault = {
          liveMigrationId: first.id,
          kind: 'HOLD_LAG',
          lagSeconds: 30.5,
          createdAt: '2026-05-02T00:00:01.000Z',
        };
        const other: LiveMigrationFault = {
          liveMigrationId: second.id,
          kind: 'HOLD_LAG',
          lagSeconds: 0,
          createdAt: '2026-05-02T00:00:02.000Z',
        };
        for (const f of [held, failAt, other]) await store.put(f);
        assert.deepEqual(await store.forMigration(first.id), [failAt, held]);
        assert.deepEqual(await ours(), [failAt, held, other]);
        // One of a kind: a second FAIL_AT_PHASE replaces the first.
        const replaced: LiveMigrationFault = { ...failAt, phase: 'TAIL', reason: 'oplog lost', createdAt: '2026-05-03T00:00:00.000Z' };
        await store.put(replaced);
        assert.deepEqual(await store.forMigration(first.id), [replaced, held]);
        assert.equal(await store.remove(first.id, 'HOLD_LAG'), 1);
        assert.deepEqual(await store.forMigration(first.id), [replaced]);
        assert.equal(await store.remove(first.id), 1);
        assert.deepEqual(await store.forMigration(first.id), []);
        assert.deepEqual(await store.forMigration(newObjectId(new Date())), []);
        await store.put(held);
        assert.ok((await store.clear()) >= 2);
        assert.deepEqual(await ours(), []);
        assert.equal(await store.clear(), 0);
      });

      it('keeps one heartbeat a host, moved by each poll', async () => {
        const store = new MigrationHostHeartbeatKyselyStore(database.db);
        const at = await host('Heartbeats');
        assert.equal(await store.lastSeen(at), undefined);
        await store.record(at, '2026-04-01T00:00:00.000Z');
        await store.record(at, '2026-04-01T00:00:05.000Z');
        await store.record({ ...at, hostname: 'mh2.example.com' }, '2026-04-01T00:00:09.000Z');
        assert.equal(await store.lastSeen(at), '2026-04-01T00:00:05.000Z');
        assert.equal(await store.lastSeen({ ...at, sourceOrgId: newObjectId(new Date()) }), undefined);
      });
    });

    describe('the audit trail', () => {
      it("appends events and lists an organization's, oldest first, details as written", async () => {
        const store = new AuditKyselyStore(database.db);
        const [orgId, otherOrgId] = [newObjectId(new Date()), newObjectId(new Date())];
        const first: NewAuditEvent = {
          orgId,
          eventType: 'LINK_TOKEN_ISSUED',
          createdAt: '2026-01-01T00:00:00.000Z',
          details: { linkTokenId: 'x', n: 3, ok: true, none: null },
        };
        const second: NewAuditEvent = { orgId, eventType: 'LINK_TOKEN_REVOKED', createdAt: '2026-01-01T00:00:01.000Z', details: {} };
        await store.append(first);
        await store.append({ ...first, orgId: otherOrgId });
        await store.append(second);
        const events = await store.list(orgId);
        assert.deepEqual(
          events.map(({ id: _id, ...event }) => event),
          [first, second],
        );
        assert.ok(events[0]!.id < events[1]!.id, 'ids grow');
        assert.equal((await store.list(otherOrgId)).length, 1);
        assert.deepEqual(await store.list(newObjectId(new Date())), []);
      });
    });

    describe('users', () => {
      const user = (orgId: string, username: string): User => ({
        id: newObjectId(new Date()),
        orgId,
        username,
        role: 'ORG_MEMBER',
        createdAt: '2026-01-01T00:00:00.000Z',
      });

      it('stores users with their password hash, finds them by id and username, lists an organization', async () => {
        const org = organization('People');
        await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        const store = new UserKyselyStore(database.db);
        const [bea, ana] = [user(org.id, 'bea'), user(org.id, 'ana')];
        await store.create(bea, 'hash-b');
        await store.create(ana, 'hash-a');
        assert.deepEqual(await store.get(ana.id), ana);
        assert.equal(await store.get(newObjectId(new Date())), undefined);
        assert.deepEqual(await store.findByUsername('bea'), { user: bea, passwordHash: 'hash-b' });
        assert.equal(await store.findByUsername('nobody'), undefined);
        assert.deepEqual(await store.list(org.id), [ana, bea]);
        assert.equal(await store.setPasswordHash(ana.id, 'hash-a2'), true);
        assert.equal((await store.findByUsername('ana'))?.passwordHash, 'hash-a2');
        assert.equal(await store.setPasswordHash(newObjectId(new Date()), 'x'), false);
        assert.equal(await store.setRole(bea.id, 'ORG_OWNER'), true);
        assert.deepEqual(await store.findByUsername('bea'), { user: { ...bea, role: 'ORG_OWNER' }, passwordHash: 'hash-b' });
        assert.equal(await store.setRole(newObjectId(new Date()), 'ORG_OWNER'), false);
      });

      it('refuses a username already used in any organization', async () => {
        const [one, two] = [organization('Users one'), organization('Users two')];
        for (const org of [one, two]) await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        const store = new UserKyselyStore(database.db);
        await store.create(user(one.id, 'shared'), 'hash');
        await assert.rejects(store.create(user(two.id, 'shared'), 'hash'));
      });
    });

    describe('web sessions', () => {
      it('stores a session under its id hash, moves its expiry, deletes it, and sweeps the expired', async () => {
        const org = organization('Sessions');
        await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        const owner: User = {
          id: newObjectId(new Date()),
          orgId: org.id,
          username: `s${newObjectId(new Date()).slice(-8)}`,
          role: 'ORG_OWNER',
          createdAt: '2026-01-01T00:00:00.000Z',
        };
        await new UserKyselyStore(database.db).create(owner, 'hash');
        const store = new SessionKyselyStore(database.db);
        const session: WebSession = { userId: owner.id, csrfToken: 'csrf', createdAtMs: 1_700_000_000_000, expiresAtMs: 1_700_000_100_000 };
        await store.insert('hash-1', session);
        await store.insert('hash-2', { ...session, expiresAtMs: 1_700_000_050_000 });
        assert.deepEqual(await store.find('hash-1'), session);
        assert.equal(await store.find('unknown'), undefined);
        await store.setExpiry('hash-1', 1_700_000_200_000);
        assert.equal((await store.find('hash-1'))?.expiresAtMs, 1_700_000_200_000);
        await store.deleteExpired(1_700_000_060_000);
        assert.equal(await store.find('hash-2'), undefined, 'expired before the time: swept');
        assert.ok(await store.find('hash-1'));
        await store.delete('hash-1');
        assert.equal(await store.find('hash-1'), undefined);
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
      const started = async (now: () => number = Date.now, sweepEveryMs?: number) => {
        const guard = new DatabaseReplayGuard(database.db, now, sweepEveryMs);
        await guard.start();
        return guard;
      };

      it('lets the first guard to answer a nonce own it: each nc once there, stale on every other guard', async () => {
        const one = await started();
        const two = await started();
        assert.equal(one.currentEpoch(), two.currentEpoch(), 'guards of one database share the epoch');
        const epoch = one.currentEpoch();
        const expires = Date.now() + 60_000;
        assert.equal(await one.claim('n1', epoch, '00000001', expires), 'first');
        assert.equal(await one.claim('n1', epoch, '00000001', expires), 'replay');
        assert.equal(await two.claim('n1', epoch, '00000001', expires), 'stale', 'a replay on another node');
        assert.equal(await one.claim('n1', epoch, '00000002', expires), 'first');
        assert.equal(await two.claim('n1', epoch, '00000003', expires), 'stale', 'owned elsewhere');
        const restarted = await started();
        assert.equal(await restarted.claim('n1', epoch, '00000004', expires), 'stale', 'a later process of the owner');
        const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? one : two).claim('n3', epoch, '', expires)));
        assert.equal(racing.filter((verdict) => verdict === 'first').length, 1, JSON.stringify(racing));
        const alone = await Promise.all(Array.from({ length: 10 }, () => one.claim('n4', epoch, '', expires)));
        assert.deepEqual(alone.toSorted(), ['first', ...Array<string>(9).fill('replay')], 'concurrent answers on one node');
      });

      it('refuses as stale every nonce of an epoch whose rows were lost, on every guard, and moves to a new epoch', async () => {
        const one = await started();
        const two = await started();
        const lost = one.currentEpoch();
        const expires = Date.now() + 60_000;
        assert.equal(await one.claim('before-loss', lost, '00000001', expires), 'first');
        assert.equal(await one.claim('never-epoch', 'ffffffff', '00000001', expires), 'stale', 'an epoch that never existed');
        // What PostgreSQL's crash recovery does to the unlogged table: every row gone, claims and epochs.
        await database.db.deleteFrom('digest_nonce_claims').execute();
        assert.equal(await two.claim('before-loss', lost, '00000001', expires), 'stale', 'the replay, on another node');
        assert.equal(await two.claim('minted-before', lost, '00000001', expires), 'stale', 'a nonce minted before, never answered');
        assert.notEqual(two.currentEpoch(), lost, 'the guard that found the loss mints in a new epoch');
        assert.equal(await one.claim('minted-before-2', lost, '00000001', expires), 'stale');
        assert.equal(one.currentEpoch(), two.currentEpoch(), 'and the other finds the same one');
        assert.equal(await one.claim('after-loss', one.currentEpoch(), '00000001', expires), 'first');
        assert.equal(await two.claim('after-loss', two.currentEpoch(), '00000001', expires), 'stale');
      });

      it('forgets claims whose nonce expired, and never an epoch', async () => {
        let now = Date.now();
        const guard = await started(() => now, 0);
        const epoch = guard.currentEpoch();
        await guard.claim('old', epoch, '00000001', now + 10);
        now += 1000;
        await guard.claim('new', epoch, '00000001', now + 60_000);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const left = await database.db
          .selectFrom('digest_nonce_claims')
          .select('nonce')
          .where('nonce', 'in', ['old', 'new', `epoch:${epoch}`])
          .execute();
        assert.deepEqual(left.map((r) => r.nonce).toSorted(), [`epoch:${epoch}`, 'new']);
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

    describe('the rehearsal clock', () => {
      it('keeps one offset: none is 0, a set one is read back, 0 removes it', async () => {
        const store = new ClockKyselyStore(database.db);
        assert.equal(await store.offset(), 0);
        await store.setOffset(435_600_000, '2026-01-01T00:00:00.000Z');
        assert.equal(await store.offset(), 435_600_000);
        await store.setOffset(MAX_CLOCK_OFFSET_MS, '2026-01-01T00:00:01.000Z');
        assert.equal(await store.offset(), MAX_CLOCK_OFFSET_MS, 'a bigint, read back as a number');
        await store.setOffset(0, '2026-01-01T00:00:02.000Z');
        assert.equal(await store.offset(), 0);
        assert.deepEqual(await database.db.selectFrom('control_clock').selectAll().execute(), []);
      });
    });

    describe('snapshots', () => {
      const store = () => new SnapshotKyselyStore(database.db, database.dialect);

      it('names every table of the database in the snapshot policy, and restores a table after those its keys point at', async () => {
        assert.deepEqual(await databaseTables(database), POLICY_TABLES);
        const rank = (table: string): number => RESTORED_TABLES.indexOf(table as RestoredTable);
        for (const { table, parent } of await foreignKeys(database)) {
          if (rank(table) === -1) continue;
          assert.ok(rank(parent) !== -1 && rank(parent) < rank(table), `${table} is restored after ${parent}`);
        }
      });

      it('saves, replaces, lists, reads and deletes snapshots', async () => {
        const content = await database.readTransaction((tx) => new SnapshotKyselyStore(tx, database.dialect).capture());
        assert.equal(content.migration, latestMigrationName());
        assert.deepEqual(Object.keys(content.tables), [...RESTORED_TABLES]);
        const first = { name: 'contract-a', createdAt: '2026-01-01T00:00:00.000Z', rowCount: content.rowCount };
        assert.equal(await store().save(first, content), false);
        assert.equal(await store().save({ ...first, createdAt: '2026-01-01T00:00:05.000Z' }, content), true, 'replaced');
        await store().save({ name: 'contract-b', createdAt: '2026-01-01T00:00:01.000Z', rowCount: 0 }, content);
        const listed = (await store().list()).filter((s) => s.name.startsWith('contract-'));
        assert.deepEqual(listed, [
          { name: 'contract-b', createdAt: '2026-01-01T00:00:01.000Z', rowCount: 0 },
          { name: 'contract-a', createdAt: '2026-01-01T00:00:05.000Z', rowCount: content.rowCount },
        ]);
        const read = await store().get('contract-a');
        assert.deepEqual(read?.snapshot, listed[1]);
        assert.deepEqual(read?.content, content);
        assert.equal(await store().get('contract-none'), undefined);
        assert.equal(await store().delete('contract-b'), true);
        assert.equal(await store().delete('contract-b'), false);
        assert.equal(await store().get('contract-b'), undefined);
      });

      it('restores every table exactly, counters included, and leaves the kept tables alone', async () => {
        await seedEveryTable(database.db, 'before');
        const before = await dumpRestoredTables(database.db);
        for (const table of RESTORED_TABLES) assert.ok((before[table]?.length ?? 0) > 0, `${table} has rows`);
        const content = await database.readTransaction((tx) => new SnapshotKyselyStore(tx, database.dialect).capture());
        assert.equal(
          content.rowCount,
          Object.values(before).reduce((sum, rows) => sum + rows.length, 0),
        );
        const lastEventId = async () =>
          Number(
            (
              await database.db
                .selectFrom('audit_events')
                .select((eb) => eb.fn.max('id').as('id'))
                .executeTakeFirstOrThrow()
            ).id,
          );
        const eventIdThen = await lastEventId();

        // Everything changes: a second tree, a renamed organization, a removed session, events, a replay record.
        const { orgId } = await seedEveryTable(database.db, 'after');
        await database.db.updateTable('organizations').set({ name: 'Renamed' }).where('id', '!=', orgId).execute();
        await database.db.deleteFrom('web_sessions').execute();
        await database.db
          .insertInto('digest_nonce_claims')
          .values({ nonce: 'kept-nonce', expires_at_ms: Date.now() + 60_000 })
          .execute();
        assert.notDeepEqual(await dumpRestoredTables(database.db), before);

        await database.writeTransaction((tx) => new SnapshotKyselyStore(tx, database.dialect).restore(content));
        assert.deepEqual(await dumpRestoredTables(database.db), before);
        const kept = await database.db.selectFrom('digest_nonce_claims').select('nonce').where('nonce', '=', 'kept-nonce').execute();
        assert.equal(kept.length, 1, 'a replay record made after the snapshot stays');
        // The next event gets the id it would have got right after the snapshot.
        await database.db
          .insertInto('audit_events')
          .values({ org_id: orgId, event_type: 'NEXT', created_at: 'x', details: '{}' })
          .execute();
        assert.equal(await lastEventId(), eventIdThen + 1);
      });

      it('restores many rows (batched inserts) and an empty database', async () => {
        const rows = Array.from({ length: 2500 }, (_, i) => ({ org_id: 'bulk', event_type: `E${i}`, created_at: 'x', details: '{"n":1}' }));
        await database.db.insertInto('audit_events').values(rows).execute();
        const content = await database.readTransaction((tx) => new SnapshotKyselyStore(tx, database.dialect).capture());
        const before = await dumpRestoredTables(database.db);
        await database.db.deleteFrom('audit_events').where('org_id', '=', 'bulk').execute();
        await database.writeTransaction((tx) => new SnapshotKyselyStore(tx, database.dialect).restore(content));
        assert.deepEqual(await dumpRestoredTables(database.db), before);
        const empty = { ...content, rowCount: 0, tables: {} };
        await database.writeTransaction((tx) => new SnapshotKyselyStore(tx, database.dialect).restore(empty));
        const after = await dumpRestoredTables(database.db);
        for (const table of RESTORED_TABLES) assert.deepEqual(after[table], [], `${table} emptied`);
        await database.writeTransaction((tx) => new SnapshotKyselyStore(tx, database.dialect).restore(content));
        assert.deepEqual(await dumpRestoredTables(database.db), before);
      });
    });

    describe('write transactions', () => {
      it('commits everything or nothing', async () => {
        const org = organization('Atomic');
        await assert.rejects(
          database.writeTransaction(async (tx) => {
            await new OrganizationKyselyStore(tx, database.dialect).createOrganization(org);
            throw new Error('abort');
          }),
        );
        assert.equal(await new OrganizationKyselyStore(database.db, database.dialect).getOrganization(org.id), undefined);
        await database.writeTransaction((tx) => new OrganizationKyselyStore(tx, database.dialect).createOrganization(org));
        assert.deepEqual(await new OrganizationKyselyStore(database.db, database.dialect).getOrganization(org.id), org);
      });

      it('serializes concurrent read-then-write transactions without losing an update', async () => {
        const org = organization('Counter');
        await new OrganizationKyselyStore(database.db, database.dialect).createOrganization(org);
        await Promise.all(
          Array.from({ length: 20 }, () =>
            database.writeTransaction(async (tx) => {
              const row = await tx
                .selectFrom('organizations')
                .select('inventory_version')
                .where('id', '=', org.id)
                .executeTakeFirstOrThrow();
              await tx
                .updateTable('organizations')
                .set({ inventory_version: row.inventory_version + 1 })
                .where('id', '=', org.id)
                .execute();
            }),
          ),
        );
        assert.equal((await new OrganizationKyselyStore(database.db, database.dialect).inventory(org.id)).version, 20);
      });
    });
  });
}
