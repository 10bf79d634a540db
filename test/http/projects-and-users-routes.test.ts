/**
 * The read calls clients make around the link: Ops Manager's `GET /groups` (every project the key can see,
 * paginated) and `GET /orgs/{orgId}/users`, and Atlas's `GET /groups/{groupId}` — exact statuses and bodies,
 * who sees what, and the keys that may read nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Project } from '../../src/features/organizations/organization.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const UNAUTHORIZED = JSON.stringify({
  detail: 'Current user is not authorized to perform this action.',
  error: 401,
  errorCode: 'USER_UNAUTHORIZED',
  parameters: [],
  reason: 'Unauthorized',
});

describe('projects and users', () => {
  let server: RunningLivelink;
  let first: OrgWithKey;
  let second: OrgWithKey;
  let alpha: Project;
  let beta: Project;
  let gamma: Project;

  before(async () => {
    server = await startLivelink();
    first = await server.organizationWithKey('First Org');
    second = await server.organizationWithKey('Second Org', ['ORG_READ_ONLY']);
    const { organizations } = server.livelink.services;
    alpha = await organizations.createProject(first.orgId, 'Alpha');
    beta = await organizations.createProject(first.orgId, 'Beta');
    gamma = await organizations.createProject(second.orgId, 'Gamma');
  });
  after(() => server.close());

  const projectView = (project: Project) => ({
    activeAgentCount: 0,
    hostCounts: { arbiter: 0, config: 0, master: 0, mongos: 0, primary: 0, recovering: 0, secondary: 0, slave: 0 },
    id: project.id,
    links: [{ href: `${server.url}/api/public/v1.0/groups/${project.id}`, rel: 'self' }],
    name: project.name,
    orgId: project.orgId,
    publicApiEnabled: true,
    replicaSetCount: 0,
    shardCount: 0,
    tags: [],
  });
  const groupsUrl = (query: string) => `${server.url}/api/public/v1.0/groups?${query}`;

  describe('GET /api/public/v1.0/groups', () => {
    it("answers an organization's key with its organization's projects only", async () => {
      const response = await first.client.request('GET', '/api/public/v1.0/groups');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.equal(
        response.text,
        JSON.stringify({
          links: [{ href: groupsUrl('pageNum=1&itemsPerPage=100'), rel: 'self' }],
          // Ops Manager's order is not on record; livelink lists by id.
          results: [alpha, beta].sort((a, b) => a.id.localeCompare(b.id)).map(projectView),
          totalCount: 2,
        }),
      );
      const readOnly = (await second.client.request('GET', '/api/public/v1.0/groups')).json() as { results: { id: string }[] };
      assert.deepEqual(
        readOnly.results.map((p) => p.id),
        [gamma.id],
      );
    });

    it("answers a global reader with every organization's projects, paged", async () => {
      const { apiKey, privateKey } = await server.livelink.services.apiKeys.create({
        orgId: null,
        description: 'global reader',
        roles: ['GLOBAL_READ_ONLY'],
        accessList: [],
      });
      const global = server.client(apiKey.publicKey, privateKey);
      const { organizations } = server.livelink.services;
      const every = (await Promise.all((await organizations.listOrganizations()).map((org) => organizations.listProjects(org.id)))).flat();
      assert.deepEqual(every.map((p) => p.id).sort(), [alpha.id, beta.id, gamma.id].sort());
      const page = await global.request('GET', '/api/public/v1.0/groups?pageNum=2&itemsPerPage=1');
      assert.equal(
        page.text,
        JSON.stringify({
          links: [
            { href: groupsUrl('pageNum=1&itemsPerPage=1'), rel: 'previous' },
            { href: groupsUrl('pageNum=2&itemsPerPage=1'), rel: 'self' },
            { href: groupsUrl('pageNum=3&itemsPerPage=1'), rel: 'next' },
          ],
          results: [projectView(every[1] as Project)],
          totalCount: 3,
        }),
      );
      const beyond = (await global.request('GET', '/api/public/v1.0/groups?pageNum=4&itemsPerPage=1')).json() as { results: unknown[] };
      assert.deepEqual(beyond.results, []);
      const tooMany = await global.request('GET', '/api/public/v1.0/groups?itemsPerPage=501');
      assert.equal(tooMany.status, 400);
      assert.equal((tooMany.json() as { errorCode: string }).errorCode, 'INVALID_QUERY_PARAMETER');
    });

    it("refuses a link-token's key and a migration host's key, which may read nothing", async () => {
      const token = (await first.client.request('POST', `/api/atlas/v2/orgs/${first.orgId}/liveMigrations/linkTokens`, {})).json() as {
        linkToken: string;
      };
      const embedded = JSON.parse(Buffer.from(token.linkToken, 'base64').toString()) as { publicApiKey: string; privateApiKey: string };
      const linkKey = await server.client(embedded.publicApiKey, embedded.privateApiKey).request('GET', '/api/public/v1.0/groups');
      assert.equal(linkKey.status, 401);
      assert.equal(linkKey.text, UNAUTHORIZED);
      const host = await server.livelink.services.migrationHosts.add(alpha.id, 'mh1.example.internal');
      const hostKey = server.client(host.apiKey?.apiKey.publicKey ?? '', host.apiKey?.privateKey ?? '');
      assert.equal((await hostKey.request('GET', '/api/public/v1.0/groups')).text, UNAUTHORIZED);
    });
  });

  describe('GET /api/public/v1.0/orgs/{orgId}/users', () => {
    it("lists the organization's users to any of its roles, and refuses another organization's key", async () => {
      const ana = await server.livelink.services.users.create({
        orgId: second.orgId,
        username: 'Ana',
        role: 'ORG_OWNER',
        password: 'a-long-password',
      });
      const bo = await server.livelink.services.users.create({
        orgId: second.orgId,
        username: 'bo',
        role: 'ORG_READ_ONLY',
        password: 'a-long-password',
      });
      const user = (u: typeof ana) => ({
        id: u.id,
        links: [{ href: `${server.url}/api/public/v1.0/users/${u.id}`, rel: 'self' }],
        roles: [{ orgId: second.orgId, roleName: u.role }],
        teamIds: [],
        username: u.username,
      });
      const response = await second.client.request('GET', `/api/public/v1.0/orgs/${second.orgId}/users`);
      assert.equal(response.status, 200);
      assert.equal(
        response.text,
        JSON.stringify({
          links: [{ href: `${server.url}/api/public/v1.0/orgs/${second.orgId}/users?pageNum=1&itemsPerPage=100`, rel: 'self' }],
          results: [user(ana), user(bo)],
          totalCount: 2,
        }),
      );
      const enveloped = (await second.client.request('GET', `/api/public/v1.0/orgs/${second.orgId}/users?envelope=true`)).json() as {
        status: number;
        totalCount: number;
      };
      assert.equal(enveloped.status, 200);
      assert.equal(enveloped.totalCount, 2);
      const denied = await first.client.request('GET', `/api/public/v1.0/orgs/${second.orgId}/users`);
      assert.equal(denied.status, 401);
      assert.equal(denied.text, UNAUTHORIZED);
    });
  });

  describe('GET /api/atlas/v2/groups/{groupId}', () => {
    it('answers Atlas’s Group with its cluster count, on v2 and v1.0', async () => {
      await server.livelink.services.clusters.create(alpha.id, {
        name: 'Cluster0',
        connectionString: 'mongodb://127.0.0.1:27018/',
        mongoDBVersion: '8.0.4',
      });
      const view = (base: string) => ({
        clusterCount: 1,
        created: alpha.createdAt,
        id: alpha.id,
        links: [{ href: `${server.url}${base}/groups/${alpha.id}`, rel: 'self' }],
        name: 'Alpha',
        orgId: first.orgId,
        tags: [],
      });
      const v2 = await first.client.request('GET', `/api/atlas/v2/groups/${alpha.id}`);
      assert.equal(v2.status, 200);
      assert.equal(v2.headers.get('content-type'), 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
      assert.equal(v2.text, JSON.stringify(view('/api/atlas/v2')));
      const v1 = await first.client.request('GET', `/api/atlas/v1.0/groups/${alpha.id}?pretty=true`);
      assert.equal(v1.headers.get('content-type'), 'application/json');
      assert.deepEqual(v1.json(), view('/api/atlas/v1.0'));
      assert.match(v1.text, /^\{\n {2}"clusterCount" : 1,\n/);
    });

    it('refuses a key of another organization and an unknown project alike, and a malformed id with INVALID_GROUP_ID', async () => {
      assert.equal((await second.client.request('GET', `/api/atlas/v2/groups/${alpha.id}`)).text, UNAUTHORIZED);
      assert.equal((await second.client.request('GET', '/api/atlas/v2/groups/5f1a2b3c4d5e6f7a8b9c0d1e')).text, UNAUTHORIZED);
      const malformed = await second.client.request('GET', '/api/atlas/v2/groups/nope');
      assert.equal(malformed.status, 400);
      assert.equal((malformed.json() as { errorCode: string }).errorCode, 'INVALID_GROUP_ID');
    });
  });
});
