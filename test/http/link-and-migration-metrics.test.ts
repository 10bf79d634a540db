/**
 * The metrics of the link and of live migrations, scraped over HTTP after the real calls: the source's
 * inventory pushes by outcome (accepted when the link is made, refused once the target revoked the token),
 * and a live migration's documents copied, copy throughput and lag, read from the store at each scrape, so
 * that a second node on the same database shows the same figures.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freshPostgresDatabase, POSTGRES_SKIP_REASON } from '../support/postgres.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const V2 = 'application/vnd.atlas.2024-05-30+json';
const HOST = 'mh1.example.com';

async function samples(url: string): Promise<string[]> {
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  return (await response.text()).split('\n').filter((line) => line.startsWith('livelink_'));
}

function assertHas(lines: readonly string[], ...expected: string[]): void {
  for (const line of expected) assert.ok(lines.includes(line), `${line} is not in\n${lines.join('\n')}`);
}

/** On one livelink (both roles): an Atlas organization with a destination cluster, and a linked source organization. */
async function linkedPair(server: RunningLivelink) {
  const atlas = await server.organizationWithKey('Atlas Org');
  const groupId = (await server.livelink.services.organizations.createProject(atlas.orgId, 'Atlas Project')).id;
  await server.livelink.services.clusters.create(groupId, {
    name: 'dest',
    connectionString: 'mongodb://127.0.0.1:27999/?name=dest',
    mongoDBVersion: '7.0.12',
  });
  const token = await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, { accessListIps: [] });
  assert.equal(token.status, 201, token.text);
  const { linkToken } = token.json() as { linkToken: string };
  const contents = JSON.parse(Buffer.from(linkToken, 'base64').toString('utf8')) as { publicApiKey: string; privateApiKey: string };
  const link = server.client(contents.publicApiKey, contents.privateApiKey);

  const owner = await server.organizationWithKey('Ops Org');
  const organizations = server.livelink.services.organizations;
  const projectId = (await organizations.createProject(owner.orgId, 'Ops Project')).id;
  await organizations.createDeployment(projectId, {
    name: 'rs0',
    sharded: false,
    mongoDBVersion: '7.0.12',
    featureCompatibilityVersion: '7.0',
    managed: true,
    shardsSize: null,
    tlsEnabled: false,
    agentVersion: null,
    dbSizeBytes: null,
    oplogSizeMB: null,
  });
  await organizations.addMigrationHost(projectId, HOST);
  const linked = await owner.client.request('POST', `/api/public/v1.0/orgs/${owner.orgId}/liveExport/migrationLink`, { linkToken });
  assert.equal(linked.status, 201, linked.text);
  const relay = `/api/atlas/v1.0/orgs/${atlas.orgId}/liveMigrations/sourceOrganizations/${owner.orgId}`;
  const hostPath = `${relay}/groups/${projectId}/migrationHosts/${HOST}`;
  return {
    atlas,
    owner,
    groupId,
    async migrate(): Promise<string> {
      const created = await atlas.client.request(
        'POST',
        `/api/atlas/v2/groups/${groupId}/liveMigrations`,
        {
          destination: { clusterName: 'dest', groupId, hostnameSchemaType: 'PUBLIC' },
          dropDestinationData: false,
          migrationHosts: [HOST],
          source: { clusterName: 'rs0', groupId: projectId, managedAuthentication: true, ssl: false },
        },
        { 'content-type': V2, accept: V2 },
      );
      assert.equal(created.status, 201, created.text);
      return (created.json() as { _id: string })._id;
    },
    async report(id: string, phase: string, documentsCopied: number, lagSeconds: number | null): Promise<void> {
      // The host takes its job first: the target accepts reports from the host it gave the job to.
      const job = await link.request('GET', `${hostPath}/job`);
      assert.equal(job.status, 200, job.text);
      const answer = await link.request('PUT', `${hostPath}/jobs/${id}`, {
        kind: 'MIGRATION',
        phase,
        documentsCopied,
        collectionsCopied: 1,
        collectionsToCopy: 2,
        changesApplied: 0,
        lagSeconds,
        caughtUp: false,
      });
      assert.equal(answer.status, 200, answer.text);
    },
  };
}

describe('link and live-migration metrics', () => {
  let server: RunningLivelink;
  const clockMs = Date.parse('2026-03-01T10:00:00.000Z');
  let pair: Awaited<ReturnType<typeof linkedPair>>;
  let owner: OrgWithKey;

  before(async () => {
    server = await startLivelink({}, {}, { livelink: { now: () => new Date(clockMs) } });
    pair = await linkedPair(server);
    owner = pair.owner;
  });
  after(() => server.close());

  it('counts the write transactions and the commits that carried them', async () => {
    const count = (lines: readonly string[], name: string): number => {
      const line = lines.find((l) => l.startsWith(`${name} `));
      assert.ok(line !== undefined, `${name} is not in\n${lines.join('\n')}`);
      return Number(line.slice(name.length + 1));
    };
    const before = await samples(server.url);
    // Asked for together: they share commits, so the commits grow by fewer than the transactions. In the
    // Atlas organization, which is no link's source: no push follows that would change the counts below.
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => server.livelink.services.organizations.createProject(pair.atlas.orgId, `Counted ${i}`)),
    );
    const after = await samples(server.url);
    const transactions =
      count(after, 'livelink_database_write_transactions_total') - count(before, 'livelink_database_write_transactions_total');
    const commits = count(after, 'livelink_database_commits_total') - count(before, 'livelink_database_commits_total');
    assert.ok(transactions >= 5, `${transactions} transactions`);
    assert.ok(commits >= 1 && commits < transactions, `${commits} commits for ${transactions} transactions`);
  });

  it('counts the inventory pushes by outcome: the link accepted, then refused once the target revoked the token', async () => {
    assertHas(
      await samples(server.url),
      'livelink_sync_pushes_total{outcome="accepted"} 1',
      'livelink_sync_pushes_total{outcome="refused"} 0',
    );
    const revoked = await pair.atlas.client.request('DELETE', `/api/atlas/v2/orgs/${pair.atlas.orgId}/liveMigrations/linkTokens`);
    assert.equal(revoked.status, 204, revoked.text);
    const report = await server.livelink.services.migrationLinks.sync(owner.orgId);
    assert.equal(report.status, 'NOT_SYNCED');
    assertHas(
      await samples(server.url),
      'livelink_sync_pushes_total{outcome="accepted"} 1',
      'livelink_sync_pushes_total{outcome="refused"} 1',
      'livelink_sync_pushes_total{outcome="unreachable"} 0',
      'livelink_link_calls_total{call="unlink",outcome="accepted"} 0',
    );
  });
});

describe('live-migration metrics, read from the database', () => {
  let server: RunningLivelink;
  let clockMs = Date.parse('2026-03-01T10:00:00.000Z');

  after(() => server.close());

  it('shows an active migration’s documents copied, copy throughput and lag, and drops them when it ends', async () => {
    server = await startLivelink({}, {}, { livelink: { now: () => new Date(clockMs) } });
    const pair = await linkedPair(server);
    assertHas(await samples(server.url), 'livelink_live_migrations_active 0');
    const id = await pair.migrate();
    const labels = `live_migration_id="${id}",group_id="${pair.groupId}",cluster_name="dest"`;
    assertHas(
      await samples(server.url),
      'livelink_live_migrations_active 1',
      `livelink_live_migration_documents_copied{${labels}} 0`,
      `livelink_live_migration_ready_for_cutover{${labels}} 0`,
    );
    // 4,000 documents 8 s after the migration was created: 500 a second.
    clockMs += 8000;
    await pair.report(id, 'COPYING', 4000, null);
    const copying = await samples(server.url);
    assertHas(
      copying,
      `livelink_live_migration_documents_copied{${labels}} 4000`,
      `livelink_live_migration_copy_throughput_documents_per_second{${labels}} 500`,
    );
    assert.ok(!copying.some((line) => line.startsWith('livelink_live_migration_lag_seconds{')), 'no lag before the host measures one');
    clockMs += 2000;
    await pair.report(id, 'TAILING', 4000, 2.5);
    const tailing = await samples(server.url);
    assertHas(tailing, `livelink_live_migration_lag_seconds{${labels}} 2.5`);
    assert.ok(!tailing.some((line) => line.startsWith('livelink_live_migration_copy_throughput')), 'the copy is over');

    await pair.report(id, 'FAILED', 4000, null);
    const ended = await samples(server.url);
    assertHas(ended, 'livelink_live_migrations_active 0');
    assert.ok(!ended.some((line) => line.includes(id)), 'an ended migration has no series');
  });

  it('shows the same figures on every node sharing a PostgreSQL database', { skip: POSTGRES_SKIP_REASON }, async () => {
    const database = await freshPostgresDatabase();
    const env = { LIVELINK_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LIVELINK_NONCE_KEY: randomBytes(32).toString('base64') };
    const now = { livelink: { now: () => new Date(clockMs) } };
    const first = await startLivelink({ 'database-url': database.url }, env, now);
    const second = await startLivelink({ 'database-url': database.url }, env, now);
    try {
      const pair = await linkedPair(first);
      const id = await pair.migrate();
      clockMs += 1000;
      await pair.report(id, 'TAILING', 10, 0.75);
      const line = `livelink_live_migration_lag_seconds{live_migration_id="${id}",group_id="${pair.groupId}",cluster_name="dest"} 0.75`;
      assertHas(await samples(first.url), line);
      assertHas(await samples(second.url), line);
    } finally {
      await Promise.all([first.close(), second.close()]);
      await database.drop();
    }
  });
});
