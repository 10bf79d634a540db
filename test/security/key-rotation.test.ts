/**
 * rotating the encryption key with no downtime. Values sealed with k1 open while k2 is current
 * and k1 is listed as previous; `livelink rotate-keys` re-seals them all; afterwards k1 can go and
 * every key still authenticates and every link still syncs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/cli.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const nonceKey = randomBytes(32).toString('base64');

function collect(): Writable & { text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return Object.assign(stream, { text: () => text });
}

describe('rotating the encryption key', () => {
  let first: RunningLivelink;
  let ops: OrgWithKey;
  let atlas: OrgWithKey;
  let dataDir: string;
  /** A deployment's and a cluster's connection strings, sealed with k1 too. */
  const DEPLOYMENT_URI = 'mongodb://om:pw-one@om-rs.internal:27017/?replicaSet=rs0';
  const CLUSTER_URI = 'mongodb://atlas:pw-two@atlas-c0.example.net:27017/';
  let deploymentId: string;
  let clusterId: string;
  const SOURCE_PASSWORD = 'pw-three';
  let liveMigrationId: string;
  let linkKey: { publicApiKey: string; privateApiKey: string };
  let jobPath: string;

  before(async () => {
    first = await startLivelink({ 'sync-interval': '1' }, { LIVELINK_ENCRYPTION_KEY: k1, LIVELINK_NONCE_KEY: nonceKey });
    dataDir = first.dataDir;
    atlas = await first.organizationWithKey('Atlas Org');
    ops = await first.organizationWithKey('Ops Org');
    const { linkToken } = (
      await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, {})
    ).json() as { linkToken: string };
    assert.equal(
      (await ops.client.request('POST', `/api/public/v1.0/orgs/${ops.orgId}/liveExport/migrationLink`, { linkToken })).status,
      201,
    );
    const { organizations, clusters } = first.livelink.services;
    const project = await organizations.createProject(ops.orgId, 'Ops Project');
    deploymentId = (
      await organizations.createDeployment(
        project.id,
        {
          name: 'rs0',
          mongoDBVersion: '6.0.14',
          featureCompatibilityVersion: '6.0',
          managed: true,
          sharded: false,
          shardsSize: null,
          tlsEnabled: false,
          agentVersion: null,
          dbSizeBytes: null,
          oplogSizeMB: null,
        },
        DEPLOYMENT_URI,
      )
    ).id;
    const atlasProject = await organizations.createProject(atlas.orgId, 'Atlas Project');
    clusterId = (await clusters.create(atlasProject.id, { name: 'Cluster0', connectionString: CLUSTER_URI, mongoDBVersion: '8.0.4' }))
      .cluster.id;
    // A live migration of that deployment, whose source credentials are sealed too.
    await organizations.addMigrationHost(project.id, 'mh1.example.com');
    await first.livelink.services.migrationLinks.sync(ops.orgId);
    const atlasOrg = await organizations.getOrganization(atlas.orgId);
    assert.ok(atlasOrg !== undefined);
    liveMigrationId = (
      await first.livelink.services.liveMigrations.create(atlasOrg, atlasProject, {
        source: {
          clusterName: 'rs0',
          groupId: project.id,
          managedAuthentication: false,
          ssl: false,
          caCertificatePath: null,
          username: 'migrator',
          password: SOURCE_PASSWORD,
        },
        destination: { clusterName: 'Cluster0', groupId: atlasProject.id, hostnameSchemaType: 'PUBLIC', privateLinkId: null },
        migrationHosts: ['mh1.example.com'],
        dropDestinationData: false,
        shardingEntries: 0,
      })
    ).id;
    const contents = JSON.parse(Buffer.from(linkToken, 'base64').toString('utf8')) as { publicApiKey: string; privateApiKey: string };
    linkKey = contents;
    jobPath = `/api/atlas/v1.0/orgs/${atlas.orgId}/liveMigrations/sourceOrganizations/${ops.orgId}/groups/${project.id}/migrationHosts/mh1.example.com/job`;
    await first.livelink.close();
  });
  after(() => first.close());

  const statusOf = (server: RunningLivelink) =>
    server.client(ops.publicKey, ops.privateKey).request('GET', `/api/public/v1.0/orgs/${ops.orgId}/liveExport/migrationLink/status`);

  it('serves with the new key current and the old one previous, re-seals everything, then runs without the old key', async () => {
    const during = await startLivelink(
      { data: dataDir },
      { LIVELINK_ENCRYPTION_KEY: k2, LIVELINK_PREVIOUS_ENCRYPTION_KEYS: k1, LIVELINK_NONCE_KEY: nonceKey },
    );
    try {
      assert.equal((await statusOf(during)).text, '{"status":"SYNCED"}');
      const stdout = collect();
      const code = await runCli(['rotate-keys', '--data', dataDir, '--json'], {
        stdout,
        stderr: collect(),
        env: { LIVELINK_ENCRYPTION_KEY: k2, LIVELINK_PREVIOUS_ENCRYPTION_KEYS: k1, LIVELINK_NONCE_KEY: nonceKey },
      });
      assert.equal(code, 0);
      const counts = JSON.parse(stdout.text()) as {
        apiKeys: number;
        linkTokens: number;
        connectionStrings: number;
        liveMigrationCredentials: number;
      };
      assert.equal(counts.linkTokens, 1);
      assert.equal(counts.liveMigrationCredentials, 1, "the live migration's source credentials");
      assert.equal(counts.connectionStrings, 2, "the deployment's and the cluster's");
      assert.ok(counts.apiKeys >= 3, JSON.stringify(counts));
      assert.equal((await statusOf(during)).status, 200, 'served throughout');
    } finally {
      await during.livelink.close();
    }

    const after = await startLivelink(
      { data: dataDir, 'sync-interval': '1' },
      { LIVELINK_ENCRYPTION_KEY: k2, LIVELINK_NONCE_KEY: nonceKey },
    );
    try {
      assert.equal((await statusOf(after)).status, 200, 'keys authenticate with only the new key');
      const report = await after.livelink.services.migrationLinks.sync(ops.orgId);
      assert.deepEqual(
        report,
        { orgId: ops.orgId, status: 'SYNCED', error: null },
        'the stored token opens and the link-token key authenticates',
      );
      assert.equal(await after.livelink.services.organizations.connectionStringOf(deploymentId), DEPLOYMENT_URI);
      assert.equal(await after.livelink.services.clusters.connectionString(clusterId), CLUSTER_URI);
      const job = await after.client(linkKey.publicApiKey, linkKey.privateApiKey).request('GET', jobPath);
      assert.equal(job.status, 200, job.text);
      const { job: given } = job.json() as { job: { id: string; source: { username: string; password: string } } };
      assert.equal(given.id, liveMigrationId);
      assert.equal(given.source.password, SOURCE_PASSWORD, 'the sealed source credentials open with only the new key');
      const stale = await after.livelink.database.db.selectFrom('api_keys').select('digest_secret').execute();
      const currentKeyId = stale[0]?.digest_secret.split('.')[1];
      assert.ok(stale.every((row) => row.digest_secret.split('.')[1] === currentKeyId));
    } finally {
      await after.livelink.close();
    }
  });

  it('answers a second rotation with nothing left to re-seal', async () => {
    const stdout = collect();
    assert.equal(
      await runCli(['rotate-keys', '--data', dataDir, '--json'], {
        stdout,
        stderr: collect(),
        env: { LIVELINK_ENCRYPTION_KEY: k2, LIVELINK_NONCE_KEY: nonceKey },
      }),
      0,
    );
    assert.deepEqual(JSON.parse(stdout.text()), { apiKeys: 0, linkTokens: 0, connectionStrings: 0, liveMigrationCredentials: 0 });
  });
});
