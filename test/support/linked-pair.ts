/**
 * A linked source and target in one started livelink (role both), set up through the services and the
 * real API as a rehearsal team's would be: a target organization with an Atlas project and a destination
 * cluster, a source organization with a project, a deployment and a migration host, linked with a real
 * link-token. And, on demand, a live migration made ready for cutover by reporting as its host would.
 */
import assert from 'node:assert/strict';
import type { DigestTestClient } from './digest-client.js';
import type { OrgWithKey, RunningLivelink } from './livelink-fixture.js';

export const PAIR_HOST = 'mh1.example.com';
const V2 = { 'content-type': 'application/vnd.atlas.2024-05-30+json', accept: 'application/vnd.atlas.2024-05-30+json' };

export interface LinkedPair {
  atlas: OrgWithKey;
  source: OrgWithKey;
  /** The Atlas project holding the destination cluster `dest`. */
  groupId: string;
  sourceProjectId: string;
  linkToken: string;
  /** The link-token's own key: what the source relays its migration host's calls with. */
  linkClient: DigestTestClient;
  linkPath: string;
}

export async function linkedPair(server: RunningLivelink, label = 'Pair'): Promise<LinkedPair> {
  const { organizations, clusters } = server.livelink.services;
  const atlas = await server.organizationWithKey(`${label} Atlas`);
  const source = await server.organizationWithKey(`${label} Ops`);
  const groupId = (await organizations.createProject(atlas.orgId, `${label} Atlas Project`)).id;
  await clusters.create(groupId, { name: 'dest', connectionString: 'mongodb://127.0.0.1:27999/?name=dest', mongoDBVersion: '7.0.12' });
  const sourceProjectId = (await organizations.createProject(source.orgId, `${label} Project`)).id;
  await organizations.createDeployment(sourceProjectId, {
    name: 'rs0',
    mongoDBVersion: '7.0.12',
    featureCompatibilityVersion: '7.0',
    managed: true,
    sharded: false,
    shardsSize: null,
    tlsEnabled: false,
    agentVersion: null,
    dbSizeBytes: null,
    oplogSizeMB: null,
  });
  await organizations.addMigrationHost(sourceProjectId, PAIR_HOST);
  const token = await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, { accessListIps: [] });
  assert.equal(token.status, 201, token.text);
  const { linkToken } = token.json() as { linkToken: string };
  const contents = JSON.parse(Buffer.from(linkToken, 'base64').toString('utf8')) as { publicApiKey: string; privateApiKey: string };
  const linkPath = `/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`;
  const linked = await source.client.request('POST', linkPath, { linkToken });
  assert.equal(linked.status, 201, linked.text);
  return {
    atlas,
    source,
    groupId,
    sourceProjectId,
    linkToken,
    linkClient: server.client(contents.publicApiKey, contents.privateApiKey),
    linkPath,
  };
}

/** Creates a live migration of the pair's rs0 into dest and reports it caught up, as its host would: readyForCutover. */
export async function readyForCutoverMigration(pair: LinkedPair): Promise<string> {
  const host = `/api/atlas/v1.0/orgs/${pair.atlas.orgId}/liveMigrations/sourceOrganizations/${pair.source.orgId}/groups/${pair.sourceProjectId}/migrationHosts/${PAIR_HOST}`;
  // The host's poll of its job is its heartbeat, which creating a migration requires.
  const polled = await pair.linkClient.request('GET', `${host}/job`);
  assert.equal(polled.status, 200, polled.text);
  const created = await pair.atlas.client.request(
    'POST',
    `/api/atlas/v2/groups/${pair.groupId}/liveMigrations`,
    {
      destination: { clusterName: 'dest', groupId: pair.groupId, hostnameSchemaType: 'PUBLIC' },
      dropDestinationData: false,
      migrationHosts: [PAIR_HOST],
      source: { clusterName: 'rs0', groupId: pair.sourceProjectId, managedAuthentication: true, ssl: false },
    },
    V2,
  );
  assert.equal(created.status, 201, created.text);
  const id = (created.json() as { _id: string })._id;
  const progress = {
    kind: 'MIGRATION',
    phase: 'TAILING',
    documentsCopied: 1000,
    collectionsCopied: 2,
    collectionsToCopy: 2,
    changesApplied: 10,
    lagSeconds: 0.4,
    caughtUp: true,
  };
  const reported = await pair.linkClient.request('PUT', `${host}/jobs/${id}`, progress);
  assert.equal(reported.status, 200, reported.text);
  assert.equal((await liveMigration(pair, id))['readyForCutover'], true);
  return id;
}

export async function liveMigration(pair: LinkedPair, id: string): Promise<Record<string, unknown>> {
  const response = await pair.atlas.client.request('GET', `/api/atlas/v2/groups/${pair.groupId}/liveMigrations/${id}`, undefined, {
    accept: V2.accept,
  });
  assert.equal(response.status, 200, response.text);
  return response.json() as Record<string, unknown>;
}
