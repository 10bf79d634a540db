/**
 * The target's destination clusters on the wire, as Atlas serves them: `GET /groups/{groupId}/clusters`
 * (paginated) and `.../clusters/{clusterName}` on /api/atlas/v2 and /api/atlas/v1.0 — exact statuses,
 * headers and bodies, the 404 in Atlas's words, who may read them, envelope and pretty, and a connection
 * string given without its credentials.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Role } from '../../src/features/api-keys/api-key.js';
import type { Cluster } from '../../src/features/clusters/cluster.js';
import type { DigestTestClient } from '../support/digest-client.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const PASSWORD = 'pw-0c4f9e21';
const KEY_PASSWORD = 'kp-77e1aa03';
const CONNECTION_STRING =
  `mongodb://atlasAdmin:${PASSWORD}@c0-00.example.net:27017,c0-01.example.net:27017/admin` +
  `?replicaSet=atlas-abc-shard-0&tls=true&tlsCertificateKeyFilePassword=${KEY_PASSWORD}&authSource=admin`;
const STANDARD = 'mongodb://c0-00.example.net:27017,c0-01.example.net:27017/admin?replicaSet=atlas-abc-shard-0&tls=true&authSource=admin';
const ATLAS_V2 = 'application/vnd.atlas.2023-01-01+json;charset=utf-8';

describe('the clusters routes', () => {
  let server: RunningLivelink;
  let atlas: OrgWithKey;
  let other: OrgWithKey;
  let groupId: string;
  let cluster0: Cluster;
  let analytics: Cluster;

  before(async () => {
    server = await startLivelink();
    atlas = await server.organizationWithKey('Atlas Org');
    other = await server.organizationWithKey('Other Atlas Org');
    const { organizations, clusters } = server.livelink.services;
    groupId = (await organizations.createProject(atlas.orgId, 'Atlas Project')).id;
    // Offline (the version given): these tests are about the wire, the buildInfo check has its own.
    cluster0 = (await clusters.create(groupId, { name: 'Cluster0', connectionString: CONNECTION_STRING, mongoDBVersion: '8.0.4' })).cluster;
    analytics = (
      await clusters.create(groupId, { name: 'Analytics', connectionString: 'mongodb://127.0.0.1:27018/', mongoDBVersion: '7.0.12-ent' })
    ).cluster;
  });
  after(() => server.close());

  const base = (version: 'v2' | 'v1.0') => `/api/atlas/${version}/groups`;
  const view = (cluster: Cluster, version: 'v2' | 'v1.0', standard: string) => ({
    clusterType: 'REPLICASET',
    connectionStrings: { standard },
    createDate: cluster.createdAt,
    groupId: cluster.groupId,
    id: cluster.id,
    links: [{ href: `${server.url}${base(version)}/${cluster.groupId}/clusters/${cluster.name}`, rel: 'self' }],
    mongoDBMajorVersion: cluster.mongoDBVersion.split('.').slice(0, 2).join('.'),
    mongoDBVersion: cluster.mongoDBVersion,
    name: cluster.name,
    paused: false,
    stateName: 'IDLE',
  });
  const cluster0View = (version: 'v2' | 'v1.0' = 'v2') => view(cluster0, version, STANDARD);
  const analyticsView = (version: 'v2' | 'v1.0' = 'v2') => view(analytics, version, 'mongodb://127.0.0.1:27018/');

  function assertHeaders(response: { headers: Headers }, contentType: string): void {
    assert.equal(response.headers.get('content-type'), contentType);
    assert.equal(response.headers.get('strict-transport-security'), 'max-age=300');
    assert.equal(response.headers.get('vary'), 'Accept-Encoding');
    assert.match(response.headers.get('x-mongodb-service-version') ?? '', /^gitHash=[^;=]+; versionString=livelink-[0-9.]+$/);
  }

  describe('GET .../clusters', () => {
    it('lists the clusters by name in Atlas paginated shape, with the versioned media type on v2', async () => {
      const response = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters`);
      assert.equal(response.status, 200);
      assertHeaders(response, ATLAS_V2);
      assert.equal(
        response.text,
        JSON.stringify({
          links: [{ href: `${server.url}${base('v2')}/${groupId}/clusters?pageNum=1&itemsPerPage=100`, rel: 'self' }],
          results: [analyticsView(), cluster0View()],
          totalCount: 2,
        }),
      );
    });

    it('answers the same on v1.0, as application/json with v1.0 links', async () => {
      const response = await atlas.client.request('GET', `${base('v1.0')}/${groupId}/clusters`);
      assert.equal(response.status, 200);
      assertHeaders(response, 'application/json');
      assert.deepEqual(response.json(), {
        links: [{ href: `${server.url}${base('v1.0')}/${groupId}/clusters?pageNum=1&itemsPerPage=100`, rel: 'self' }],
        results: [analyticsView('v1.0'), cluster0View('v1.0')],
        totalCount: 2,
      });
    });

    it('pages with pageNum and itemsPerPage, and leaves totalCount out with includeCount=false', async () => {
      const url = `${server.url}${base('v2')}/${groupId}/clusters`;
      const second = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters?pageNum=2&itemsPerPage=1`);
      assert.equal(second.status, 200);
      assert.deepEqual(second.json(), {
        links: [
          { href: `${url}?pageNum=1&itemsPerPage=1`, rel: 'previous' },
          { href: `${url}?pageNum=2&itemsPerPage=1`, rel: 'self' },
        ],
        results: [cluster0View()],
        totalCount: 2,
      });
      const first = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters?itemsPerPage=1&includeCount=false`);
      assert.deepEqual(first.json(), {
        links: [
          { href: `${url}?pageNum=1&itemsPerPage=1`, rel: 'self' },
          { href: `${url}?pageNum=2&itemsPerPage=1`, rel: 'next' },
        ],
        results: [analyticsView()],
      });
      assert.equal(
        (await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters?includeCount=TRUE&pageNum=3`)).text,
        JSON.stringify({
          links: [
            { href: `${url}?pageNum=2&itemsPerPage=100`, rel: 'previous' },
            { href: `${url}?pageNum=3&itemsPerPage=100`, rel: 'self' },
          ],
          results: [],
          totalCount: 2,
        }),
      );
      for (const [query, name] of [
        ['includeCount=yes', 'includeCount'],
        ['includeCount=', 'includeCount'],
        ['pageNum=0', 'pageNum'],
        ['itemsPerPage=501', 'itemsPerPage'],
      ] as const) {
        const response = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters?${query}`);
        assert.equal(response.status, 400, query);
        assertHeaders(response, 'application/json');
        assert.equal(
          response.text,
          `{"detail":"Invalid query parameter ${name} specified.","error":400,"errorCode":"INVALID_QUERY_PARAMETER","parameters":["${name}"],"reason":"Bad Request"}`,
        );
      }
    });

    it('lists none for a project without clusters', async () => {
      const empty = (await server.livelink.services.organizations.createProject(atlas.orgId, 'Empty Project')).id;
      const response = await atlas.client.request('GET', `${base('v2')}/${empty}/clusters`);
      assert.equal(response.status, 200);
      assert.equal(
        response.text,
        JSON.stringify({
          links: [{ href: `${server.url}${base('v2')}/${empty}/clusters?pageNum=1&itemsPerPage=100`, rel: 'self' }],
          results: [],
          totalCount: 0,
        }),
      );
    });
  });

  describe('GET .../clusters/{clusterName}', () => {
    it('returns one cluster on v2 and v1.0', async () => {
      const v2 = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters/Cluster0`);
      assert.equal(v2.status, 200);
      assertHeaders(v2, ATLAS_V2);
      assert.equal(v2.text, JSON.stringify(cluster0View()));
      const v1 = await atlas.client.request('GET', `${base('v1.0')}/${groupId}/clusters/Cluster0`);
      assert.equal(v1.status, 200);
      assertHeaders(v1, 'application/json');
      assert.equal(v1.text, JSON.stringify(cluster0View('v1.0')));
    });

    it("answers the resource version the client's Accept asks for, the same fields in each", async () => {
      const path = `${base('v2')}/${groupId}/clusters/Cluster0`;
      for (const [accept, version] of [
        ['application/vnd.atlas.2024-08-05+json', '2024-08-05'],
        ['application/vnd.atlas.2025-03-12+json', '2024-08-05'],
        ['application/vnd.atlas.2023-02-01+json', '2023-02-01'],
        ['application/vnd.atlas.2023-06-30+json', '2023-02-01'],
        ['application/vnd.atlas.2023-01-01+json', '2023-01-01'],
        ['application/json', '2023-01-01'],
      ] as const) {
        const response = await atlas.client.request('GET', path, undefined, { accept });
        assert.equal(response.status, 200, accept);
        assertHeaders(response, `application/vnd.atlas.${version}+json;charset=utf-8`);
        assert.equal(response.text, JSON.stringify(cluster0View()), accept);
        const list = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters`, undefined, { accept });
        assert.equal(list.headers.get('content-type'), `application/vnd.atlas.${version}+json;charset=utf-8`, accept);
      }
      const tooOld = await atlas.client.request('GET', path, undefined, { accept: 'application/vnd.atlas.2022-12-31+json' });
      assert.equal(tooOld.status, 406);
      assert.equal((tooOld.json() as { errorCode: string }).errorCode, 'INVALID_VERSION_DATE');
      // v1.0 has no versions: plain JSON whatever is asked.
      const v1 = await atlas.client.request('GET', `${base('v1.0')}/${groupId}/clusters/Cluster0`, undefined, {
        accept: 'application/vnd.atlas.2024-08-05+json',
      });
      assert.equal(v1.headers.get('content-type'), 'application/json');
    });

    it('answers an unknown name with 404 CLUSTER_NOT_FOUND in Atlas words, names matched exactly', async () => {
      for (const version of ['v2', 'v1.0'] as const) {
        for (const name of ['Cluster1', 'cluster0', 'Cluster0%20']) {
          const response = await atlas.client.request('GET', `${base(version)}/${groupId}/clusters/${name}`);
          assert.equal(response.status, 404, name);
          assertHeaders(response, 'application/json');
          const decoded = decodeURIComponent(name);
          assert.equal(
            response.text,
            `{"detail":"No cluster named ${decoded} exists in group ${groupId}.","error":404,"errorCode":"CLUSTER_NOT_FOUND","parameters":["${decoded}","${groupId}"],"reason":"Not Found"}`,
          );
        }
      }
    });

    it("does not show another project's cluster", async () => {
      const second = (await server.livelink.services.organizations.createProject(atlas.orgId, 'Second Project')).id;
      const response = await atlas.client.request('GET', `${base('v2')}/${second}/clusters/Cluster0`);
      assert.equal(response.status, 404);
      assert.equal((response.json() as { detail: string }).detail, `No cluster named Cluster0 exists in group ${second}.`);
    });
  });

  describe('envelope and pretty', () => {
    it('adds status to the list, wraps one cluster and the 404, keeping the status line', async () => {
      const list = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters?envelope=true&itemsPerPage=1`);
      assert.equal(list.status, 200);
      const listBody = list.json() as { status: number; results: unknown[]; totalCount: number };
      assert.equal(listBody.status, 200);
      assert.deepEqual(listBody.results, [analyticsView()]);
      assert.equal(listBody.totalCount, 2);
      const one = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters/Cluster0?envelope=true`);
      assert.equal(one.status, 200);
      assert.equal(one.text, JSON.stringify({ content: cluster0View(), status: 200 }));
      const missing = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters/Nope?envelope=true`);
      assert.equal(missing.status, 404);
      assert.equal(
        missing.text,
        `{"content":{"detail":"No cluster named Nope exists in group ${groupId}.","error":404,"errorCode":"CLUSTER_NOT_FOUND","parameters":["Nope","${groupId}"],"reason":"Not Found"},"status":404}`,
      );
    });

    it('pretty-prints as Atlas (Jackson) does', async () => {
      const response = await atlas.client.request('GET', `${base('v2')}/${groupId}/clusters/Analytics?pretty=true`);
      assert.equal(
        response.text,
        [
          '{',
          '  "clusterType" : "REPLICASET",',
          '  "connectionStrings" : {',
          '    "standard" : "mongodb://127.0.0.1:27018/"',
          '  },',
          `  "createDate" : "${analytics.createdAt}",`,
          `  "groupId" : "${groupId}",`,
          `  "id" : "${analytics.id}",`,
          '  "links" : [ {',
          `    "href" : "${server.url}/api/atlas/v2/groups/${groupId}/clusters/Analytics",`,
          '    "rel" : "self"',
          '  } ],',
          '  "mongoDBMajorVersion" : "7.0",',
          '  "mongoDBVersion" : "7.0.12-ent",',
          '  "name" : "Analytics",',
          '  "paused" : false,',
          '  "stateName" : "IDLE"',
          '}',
        ].join('\n'),
      );
    });
  });

  describe('who may read them', () => {
    const ROLES: readonly Role[] = [
      'ORG_OWNER',
      'ORG_MEMBER',
      'ORG_READ_ONLY',
      'ORG_LIVE_MIGRATION_LINK',
      'GLOBAL_OWNER',
      'GLOBAL_READ_ONLY',
    ];
    /** Atlas's Project Read Only and up: every organization role but the link-token key's, and the global ones. */
    const ADMITTED: readonly Role[] = ['ORG_OWNER', 'ORG_MEMBER', 'ORG_READ_ONLY', 'GLOBAL_OWNER', 'GLOBAL_READ_ONLY'];
    const MISSING_GROUP = 'ffffffffffffffffffffffff';
    const clients = new Map<Role, DigestTestClient>();

    before(async () => {
      const { apiKeys, linkTokens, organizations } = server.livelink.services;
      for (const role of ROLES) {
        if (role === 'ORG_LIVE_MIGRATION_LINK') {
          // The real way such a key comes to be: inside a link-token of the same organization.
          const organization = await organizations.getOrganization(atlas.orgId);
          assert.ok(organization);
          const token = JSON.parse(Buffer.from(await linkTokens.createToken(organization, []), 'base64').toString()) as Record<
            string,
            string
          >;
          clients.set(role, server.client(token['publicApiKey'] as string, token['privateApiKey'] as string));
          continue;
        }
        const { apiKey, privateKey } = await apiKeys.create({
          orgId: role.startsWith('GLOBAL_') ? null : atlas.orgId,
          description: role,
          roles: [role],
          accessList: [],
        });
        clients.set(role, server.client(apiKey.publicKey, privateKey));
      }
    });

    for (const path of ['/clusters', '/clusters/Cluster0'] as const) {
      it(`GET ...${path}: every role × own project, another organization's, one that does not exist`, async () => {
        const cells: string[] = [];
        for (const role of ROLES) {
          const client = clients.get(role) as DigestTestClient;
          const global = role.startsWith('GLOBAL_');
          const admitted = ADMITTED.includes(role);
          for (const version of ['v2', 'v1.0'] as const) {
            const own = await client.request('GET', `${base(version)}/${groupId}${path}`);
            cells.push(`${role} ${version} own: ${own.status}`);
            if (admitted) assert.equal(own.status, 200, cells.at(-1));
            else {
              assert.equal(own.status, 401, cells.at(-1));
              assert.equal((own.json() as { errorCode: string }).errorCode, 'USER_UNAUTHORIZED');
            }
            const missing = await client.request('GET', `${base(version)}/${MISSING_GROUP}${path}`);
            const missingCode = (missing.json() as { errorCode: string }).errorCode;
            if (global) {
              assert.deepEqual([missing.status, missingCode], [404, 'GROUP_NOT_FOUND'], `${role} ${version} missing`);
            } else {
              assert.deepEqual([missing.status, missingCode], [401, 'USER_UNAUTHORIZED'], `${role} ${version} missing`);
            }
            const invalid = await client.request('GET', `${base(version)}/not-a-group${path}`);
            assert.deepEqual([invalid.status, (invalid.json() as { errorCode: string }).errorCode], [400, 'INVALID_GROUP_ID']);
          }
        }
        for (const version of ['v2', 'v1.0'] as const) {
          const foreign = await other.client.request('GET', `${base(version)}/${groupId}${path}`);
          assert.equal(foreign.status, 401, "another organization's owner");
          assert.equal(
            foreign.text,
            '{"detail":"Current user is not authorized to perform this action.","error":401,"errorCode":"USER_UNAUTHORIZED","parameters":[],"reason":"Unauthorized"}',
          );
        }
      });
    }
  });

  it('never shows the credentials of a connection string', async () => {
    const bodies: string[] = [];
    for (const version of ['v2', 'v1.0'] as const) {
      for (const query of ['', '?pretty=true', '?envelope=true']) {
        bodies.push((await atlas.client.request('GET', `${base(version)}/${groupId}/clusters${query}`)).text);
        bodies.push((await atlas.client.request('GET', `${base(version)}/${groupId}/clusters/Cluster0${query}`)).text);
      }
    }
    for (const body of bodies) {
      assert.ok(body.includes('c0-00.example.net'), 'the hosts are shown');
      for (const secret of [PASSWORD, KEY_PASSWORD, 'atlasAdmin', 'tlsCertificateKeyFilePassword'])
        assert.ok(!body.includes(secret), secret);
    }
  });

  it('is served by the target role only', async () => {
    const source = await startLivelink({ role: 'source', 'target-url': 'http://127.0.0.1:9' });
    try {
      const owner = await source.organizationWithKey('Source Org');
      const project = (await source.livelink.services.organizations.createProject(owner.orgId, 'P')).id;
      for (const path of [`${base('v2')}/${project}/clusters`, `${base('v1.0')}/${project}/clusters/Cluster0`]) {
        const response = await owner.client.request('GET', path);
        assert.equal(response.status, 404, path);
        assert.equal((response.json() as { errorCode: string }).errorCode, 'RESOURCE_NOT_FOUND', path);
      }
    } finally {
      await source.close();
    }
  });
});
