/**
 * How to reach a source deployment stays on the source: after a link pushed the inventory (again after a
 * change), the target holds no part of the deployment's connection string, and no answer of either
 * role, on any GET route of its OpenAPI document, holds it; nor does a log line or a database file in the
 * clear. A destination cluster's connection string is shown only without its credentials.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';
import { waitFor } from '../support/wait-for.js';

const SOURCE_USER = 'srcuser-4be1';
const SOURCE_PASSWORD = 'srcpw-8c03d5';
const SOURCE_HOST = 'om-rs0-a.source-dc.internal';
const SOURCE_URI = `mongodb://${SOURCE_USER}:${SOURCE_PASSWORD}@${SOURCE_HOST}:27017,om-rs0-b.source-dc.internal:27017/?replicaSet=rs0`;
/** Every part of the source's string that may not leave the source (its hosts included). */
const SOURCE_PARTS = [SOURCE_URI, SOURCE_USER, SOURCE_PASSWORD, SOURCE_HOST, 'source-dc.internal'];

const CLUSTER_USER = 'dstuser-19fa';
const CLUSTER_PASSWORD = 'dstpw-2e6b7c';
const CLUSTER_URI = `mongodb://${CLUSTER_USER}:${CLUSTER_PASSWORD}@atlas-c0.example.net:27017/?replicaSet=atlas-rs`;
/** Only the credentials of a destination cluster's string are secret: Atlas shows its hosts. */
const CLUSTER_PARTS = [CLUSTER_URI, CLUSTER_USER, CLUSTER_PASSWORD];

const UNKNOWN_ID = 'ffffffffffffffffffffffff';

describe('connection strings stay where they belong', () => {
  const logs: string[] = [];
  const answers: { path: string; text: string }[] = [];
  let target: RunningLivelink;
  let source: RunningLivelink;
  let atlas: OrgWithKey;
  let ops: OrgWithKey;
  let sourceProject: string;
  let targetProject: string;
  let deploymentId: string;

  const availableProjects = async () =>
    (await atlas.client.request('GET', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/availableProjects`)).json() as {
      deployments: { name: string; mongoDBVersion: string }[];
    }[];

  before(async () => {
    target = await startLivelink({ role: 'target', 'log-requests': 'true' }, {}, { logLines: logs });
    source = await startLivelink(
      { role: 'source', 'target-url': target.url, 'log-requests': 'true', 'sync-interval': '1' },
      {},
      { logLines: logs },
    );
    atlas = await target.organizationWithKey('Atlas Org');
    ops = await source.organizationWithKey('Ops Org');

    const om = source.livelink.services.organizations;
    sourceProject = (await om.createProject(ops.orgId, 'Ops Project')).id;
    const deployment = await om.createDeployment(
      sourceProject,
      {
        name: 'rs0',
        mongoDBVersion: '6.0.14',
        featureCompatibilityVersion: '6.0',
        managed: false,
        sharded: false,
        shardsSize: null,
        tlsEnabled: false,
        agentVersion: null,
        dbSizeBytes: null,
        oplogSizeMB: null,
      },
      SOURCE_URI,
    );
    deploymentId = deployment.id;
    await om.addMigrationHost(sourceProject, 'mh1.source-hosts.example');

    targetProject = (await target.livelink.services.organizations.createProject(atlas.orgId, 'Atlas Project')).id;
    await target.livelink.services.clusters.create(targetProject, {
      name: 'Cluster0',
      connectionString: CLUSTER_URI,
      mongoDBVersion: '8.0.4',
    });

    const { linkToken } = (
      await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, { accessListIps: [] })
    ).json() as { linkToken: string };
    const linked = await ops.client.request('POST', `/api/public/v1.0/orgs/${ops.orgId}/liveExport/migrationLink`, { linkToken });
    assert.equal(linked.status, 201, linked.text);
    // A second push, after a change of the facts and of the connection string together.
    await om.updateDeployment(deploymentId, { mongoDBVersion: '6.0.15' }, `${SOURCE_URI}&authSource=admin`);
    await waitFor(async () => (await availableProjects())[0]?.deployments[0]?.mongoDBVersion === '6.0.15', 'the change to be pushed');

    // Every GET route each role serves, by its OpenAPI document, plain and with pretty and envelope.
    for (const [server, key, ids] of [
      [source, ops, { orgId: ops.orgId, groupId: sourceProject, clusterName: 'rs0', hostname: 'mh1.source-hosts.example' }],
      [
        target,
        atlas,
        { orgId: atlas.orgId, groupId: targetProject, clusterName: 'Cluster0', sourceOrgId: ops.orgId, sourceGroupId: sourceProject },
      ],
    ] as const) {
      const document = server.livelink.openApiDocument() as { paths: Record<string, Record<string, unknown>> };
      for (const [template, operations] of Object.entries(document.paths)) {
        if (operations['get'] === undefined) continue;
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) => (ids as Record<string, string>)[name] ?? UNKNOWN_ID);
        for (const query of ['', '?pretty=true', '?envelope=true']) {
          answers.push({ path: `${path}${query}`, text: (await key.client.request('GET', `${path}${query}`)).text });
        }
      }
    }
  });
  after(async () => {
    await source.close();
    await target.close();
  });

  it('kept the connection string on the source, where the migration host can have it', async () => {
    assert.equal(await source.livelink.services.organizations.connectionStringOf(deploymentId), `${SOURCE_URI}&authSource=admin`);
  });

  it('pushed the inventory without it: the target holds no part of it', async () => {
    const pushed = await target.livelink.database.db.selectFrom('linked_sources').selectAll().execute();
    assert.equal(pushed.length, 1);
    const text = JSON.stringify(pushed);
    assert.ok(text.includes('6.0.15') && text.includes('mh1.source-hosts.example'), 'the inventory itself arrived');
    for (const part of SOURCE_PARTS) assert.ok(!text.includes(part), `the pushed inventory holds ${part}`);
    assert.deepEqual(Object.keys((await availableProjects())[0]?.deployments[0] ?? {}).sort(), [
      'clusterId',
      'featureCompatibilityVersion',
      'managed',
      'mongoDBVersion',
      'name',
      'sharded',
      'tlsEnabled',
    ]);
  });

  it('answered every GET route of both roles without it', () => {
    assert.ok(
      answers.some((answer) => answer.path.includes('/clusters/Cluster0') && answer.text.includes('atlas-c0.example.net')),
      'the cluster routes were read',
    );
    assert.ok(
      answers.some((answer) => answer.path.includes('/availableProjects') && answer.text.includes('rs0')),
      'the available projects were read',
    );
    assert.ok(answers.length >= 30, `${answers.length} answers`);
    for (const { path, text } of answers) {
      for (const part of [...SOURCE_PARTS, ...CLUSTER_PARTS]) assert.ok(!text.includes(part), `GET ${path} answered ${part}`);
    }
  });

  it('logged none of it', () => {
    assert.ok(logs.length > 0);
    for (const part of [...SOURCE_PARTS, ...CLUSTER_PARTS]) {
      const line = logs.find((l) => l.includes(part));
      assert.equal(line, undefined, `a log line holds ${part}: ${line}`);
    }
  });

  it('keeps both sealed in the database files', () => {
    for (const server of [source, target]) {
      const files = readdirSync(server.dataDir).filter((name) => name.startsWith('livelink.sqlite'));
      assert.ok(files.length > 0);
      for (const file of files) {
        const bytes = readFileSync(join(server.dataDir, file)).toString('latin1');
        for (const part of [...SOURCE_PARTS, ...CLUSTER_PARTS, 'atlas-c0.example.net']) {
          assert.ok(!bytes.includes(part), `${file} holds ${part} in the clear`);
        }
      }
    }
  });
});
