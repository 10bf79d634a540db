/**
 * An organization's programmatic API keys and their access lists on the wire, as Ops Manager
 * (`/api/public/v1.0`) and Atlas (`/api/atlas/v2`, `/api/atlas/v1.0`) serve them: exact statuses, headers
 * and bodies, the private key shown once, who may call what, pagination edges, every error code, changes
 * that apply on the key's next request, and the keys of a link-token and of a migration host, which are
 * listed but not changed here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DigestTestClient } from '../support/digest-client.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const OPS = '/api/public/v1.0';
const V2 = '/api/atlas/v2';
const ATLAS_V2_JSON = 'application/vnd.atlas.2023-01-01+json;charset=utf-8';

function errorBody(status: number, errorCode: string, detail: string, parameters: string[], reason: string) {
  return JSON.stringify({ detail, error: status, errorCode, parameters, reason });
}

interface KeyView {
  desc: string;
  id: string;
  links: { href: string; rel: string }[];
  privateKey?: string;
  publicKey: string;
  roles: { orgId: string; roleName: string }[];
}

describe('the organization API key routes', () => {
  let server: RunningLivelink;
  let owner: OrgWithKey;
  let reader: DigestTestClient;
  let readerKeyId: string;
  let ownerKeyId: string;
  let other: OrgWithKey;

  before(async () => {
    server = await startLivelink();
    owner = await server.organizationWithKey('Keys Org');
    other = await server.organizationWithKey('Other Org');
    const { apiKeys } = server.livelink.services;
    const read = await apiKeys.create({ orgId: owner.orgId, description: 'reader', roles: ['ORG_READ_ONLY'], accessList: [] });
    reader = server.client(read.apiKey.publicKey, read.privateKey);
    readerKeyId = read.apiKey.id;
    ownerKeyId = (await apiKeys.list(owner.orgId)).find((key) => key.publicKey === owner.publicKey)?.id ?? '';
  });
  after(() => server.close());

  const keysUrl = (base = OPS, orgId = owner.orgId) => `${base}/orgs/${orgId}/apiKeys`;
  const view = (id: string, publicKey: string, desc: string, roleNames: string[], base = OPS): KeyView => ({
    desc,
    id,
    links: [{ href: `${server.url}${keysUrl(base)}/${id}`, rel: 'self' }],
    publicKey,
    roles: roleNames.map((roleName) => ({ orgId: owner.orgId, roleName })),
  });

  describe('GET .../apiKeys', () => {
    it("lists the organization's keys (no private key), to any role of the organization", async () => {
      const response = await reader.request('GET', keysUrl());
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'application/json');
      const reading = (await server.livelink.services.apiKeys.list(owner.orgId)).find((key) => key.id === readerKeyId);
      assert.equal(
        response.text,
        JSON.stringify({
          links: [{ href: `${server.url}${keysUrl()}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
          results: [
            view(ownerKeyId, owner.publicKey, 'Keys Org key', ['ORG_OWNER']),
            view(readerKeyId, reading?.publicKey ?? '', 'reader', ['ORG_READ_ONLY']),
          ].sort((a, b) => a.id.localeCompare(b.id)),
          totalCount: 2,
        }),
      );
    });

    it('pages as Ops Manager does: previous/self/next links, an empty page past the last, itemsPerPage bounds', async () => {
      const page2 = (await reader.request('GET', `${keysUrl()}?pageNum=2&itemsPerPage=1`)).json() as {
        links: unknown[];
        results: KeyView[];
        totalCount: number;
      };
      assert.deepEqual(page2.links, [
        { href: `${server.url}${keysUrl()}?pageNum=1&itemsPerPage=1`, rel: 'previous' },
        { href: `${server.url}${keysUrl()}?pageNum=2&itemsPerPage=1`, rel: 'self' },
      ]);
      assert.equal(page2.results.length, 1);
      assert.equal(page2.totalCount, 2);
      const beyond = await reader.request('GET', `${keysUrl()}?pageNum=9`);
      assert.equal(beyond.status, 200);
      assert.deepEqual(beyond.json(), {
        links: [
          { href: `${server.url}${keysUrl()}?pageNum=8&itemsPerPage=100`, rel: 'previous' },
          { href: `${server.url}${keysUrl()}?pageNum=9&itemsPerPage=100`, rel: 'self' },
        ],
        results: [],
        totalCount: 2,
      });
      for (const query of ['itemsPerPage=0', 'itemsPerPage=501', 'pageNum=0', 'pageNum=x']) {
        const name = query.split('=')[0] ?? '';
        const response = await reader.request('GET', `${keysUrl()}?${query}`);
        assert.equal(response.status, 400, query);
        assert.equal(
          response.text,
          errorBody(400, 'INVALID_QUERY_PARAMETER', `Invalid query parameter ${name} specified.`, [name], 'Bad Request'),
        );
      }
    });

    it('refuses a key of another organization with the same 401 as everywhere', async () => {
      const response = await other.client.request('GET', keysUrl());
      assert.equal(response.status, 401);
      assert.equal(
        response.text,
        errorBody(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.', [], 'Unauthorized'),
      );
    });

    it('serves Atlas v2 with its media type, includeCount, envelope and pretty', async () => {
      const response = await owner.client.request('GET', `${keysUrl(V2)}?includeCount=false&itemsPerPage=1`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), ATLAS_V2_JSON);
      const body = response.json() as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['links', 'results']);
      const enveloped = (await owner.client.request('GET', `${keysUrl(V2)}?envelope=true`)).json() as Record<string, unknown>;
      assert.equal(enveloped['status'], 200);
      assert.equal(enveloped['totalCount'], 2);
      const pretty = await owner.client.request('GET', `${keysUrl(V2)}/${readerKeyId}?pretty=true`);
      assert.match(pretty.text, /^\{\n {2}"desc" : "reader",\n/);
      const wrapped = (await owner.client.request('GET', `${keysUrl(V2)}/${readerKeyId}?envelope=true`)).json() as Record<string, unknown>;
      assert.equal(wrapped['status'], 200);
      assert.equal((wrapped['content'] as KeyView).id, readerKeyId);
    });
  });

  describe('GET .../apiKeys/{id}', () => {
    it('answers one key, and API_KEY_NOT_FOUND (400, as Ops Manager) for an id of no key or of another organization', async () => {
      const response = await reader.request('GET', `${keysUrl()}/${ownerKeyId}`);
      assert.equal(response.status, 200);
      assert.equal(response.text, JSON.stringify(view(ownerKeyId, owner.publicKey, 'Keys Org key', ['ORG_OWNER'])));
      const otherKeyId = (await server.livelink.services.apiKeys.list(other.orgId))[0]?.id ?? '';
      for (const id of ['5f1a2b3c4d5e6f7a8b9c0d1e', otherKeyId, 'not-an-id']) {
        const missing = await reader.request('GET', `${keysUrl()}/${id}`);
        assert.equal(missing.status, 400, id);
        assert.equal(missing.text, errorBody(400, 'API_KEY_NOT_FOUND', `No API Key with ID ${id} exists.`, [id], 'Bad Request'));
      }
    });
  });

  describe('POST, PATCH and DELETE .../apiKeys', () => {
    it('creates a key (200, the private key in this answer only) that works at once', async () => {
      const response = await owner.client.request('POST', keysUrl(), { desc: 'CI automation', roles: ['ORG_MEMBER'] });
      assert.equal(response.status, 200);
      const created = response.json() as KeyView;
      assert.match(created.privateKey ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.match(created.publicKey, /^[a-z]{8}$/);
      assert.equal(
        response.text,
        JSON.stringify({
          desc: 'CI automation',
          id: created.id,
          links: view(created.id, '', '', []).links,
          privateKey: created.privateKey,
          publicKey: created.publicKey,
          roles: [{ orgId: owner.orgId, roleName: 'ORG_MEMBER' }],
        }),
      );
      const client = server.client(created.publicKey, created.privateKey ?? '');
      assert.equal((await client.request('GET', `${OPS}/orgs/${owner.orgId}`)).status, 200);
      const again = await owner.client.request('GET', `${keysUrl()}/${created.id}`);
      assert.equal(again.text, JSON.stringify(view(created.id, created.publicKey, 'CI automation', ['ORG_MEMBER'])));
    });

    it('refuses bodies Ops Manager refuses, and a caller that is not an Owner', async () => {
      const cases: [unknown, string, string, string][] = [
        [{ roles: ['ORG_MEMBER'] }, 'MISSING_ATTRIBUTE', 'The required attribute desc was not specified.', 'desc'],
        [{ desc: 'x' }, 'MISSING_ATTRIBUTE', 'The required attribute roles was not specified.', 'roles'],
        [{ desc: '', roles: ['ORG_MEMBER'] }, 'INVALID_ATTRIBUTE', 'Invalid attribute desc specified.', 'desc'],
        [{ desc: 'x'.repeat(251), roles: ['ORG_MEMBER'] }, 'INVALID_ATTRIBUTE', 'Invalid attribute desc specified.', 'desc'],
        [{ desc: 'x', roles: [] }, 'INVALID_ATTRIBUTE', 'Invalid attribute roles specified.', 'roles'],
        [{ desc: 'x', roles: ['ORG_LIVE_MIGRATION_LINK'] }, 'INVALID_ATTRIBUTE', 'Invalid attribute roles specified.', 'roles'],
        [{ desc: 'x', roles: ['GLOBAL_OWNER'] }, 'INVALID_ATTRIBUTE', 'Invalid attribute roles specified.', 'roles'],
        [
          { desc: 'x', roles: ['ORG_MEMBER'], accessList: [] },
          'INVALID_ATTRIBUTE',
          'Invalid attribute accessList specified.',
          'accessList',
        ],
      ];
      for (const [body, code, detail, attribute] of cases) {
        const response = await owner.client.request('POST', keysUrl(), body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.text, errorBody(400, code, detail, [attribute], 'Bad Request'));
      }
      const denied = await reader.request('POST', keysUrl(), { desc: 'x', roles: ['ORG_OWNER'] });
      assert.equal(denied.status, 401);
    });

    it('changes description and roles, applied on the key’s next request', async () => {
      const { apiKey, privateKey } = await server.livelink.services.apiKeys.create({
        orgId: owner.orgId,
        description: 'promote me',
        roles: ['ORG_READ_ONLY'],
        accessList: [],
      });
      const client = server.client(apiKey.publicKey, privateKey);
      assert.equal((await client.request('POST', keysUrl(), { desc: 'by the promoted key', roles: ['ORG_MEMBER'] })).status, 401);
      const patched = await owner.client.request('PATCH', `${keysUrl()}/${apiKey.id}`, {
        desc: 'promoted',
        roles: ['ORG_OWNER', 'ORG_MEMBER'],
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.text, JSON.stringify(view(apiKey.id, apiKey.publicKey, 'promoted', ['ORG_OWNER', 'ORG_MEMBER'])));
      assert.equal((await client.request('POST', keysUrl(), { desc: 'by the promoted key', roles: ['ORG_MEMBER'] })).status, 200);
      const descOnly = await owner.client.request('PATCH', `${keysUrl()}/${apiKey.id}`, { desc: 'renamed' });
      assert.equal(descOnly.text, JSON.stringify(view(apiKey.id, apiKey.publicKey, 'renamed', ['ORG_OWNER', 'ORG_MEMBER'])));
      const missing = await owner.client.request('PATCH', `${keysUrl()}/5f1a2b3c4d5e6f7a8b9c0d1e`, { desc: 'x' });
      assert.equal(
        missing.text,
        errorBody(
          400,
          'API_KEY_NOT_FOUND',
          'No API Key with ID 5f1a2b3c4d5e6f7a8b9c0d1e exists.',
          ['5f1a2b3c4d5e6f7a8b9c0d1e'],
          'Bad Request',
        ),
      );
      const events = await server.livelink.services.audit.newestFirst(owner.orgId);
      const types = events.map((event) => event.eventType);
      assert.ok(types.includes('API_KEY_ROLES_CHANGED') && types.includes('API_KEY_DESCRIPTION_CHANGED'), types.join());
    });

    it('deletes a key (204): its next request is refused, and a second delete is API_KEY_NOT_FOUND', async () => {
      const { apiKey, privateKey } = await server.livelink.services.apiKeys.create({
        orgId: owner.orgId,
        description: 'doomed',
        roles: ['ORG_MEMBER'],
        accessList: [],
      });
      const client = server.client(apiKey.publicKey, privateKey);
      assert.equal((await client.request('GET', `${OPS}/orgs/${owner.orgId}`)).status, 200);
      const deleted = await owner.client.request('DELETE', `${keysUrl()}/${apiKey.id}`);
      assert.equal(deleted.status, 204);
      assert.equal(deleted.text, '');
      assert.equal((await client.request('GET', `${OPS}/orgs/${owner.orgId}`)).status, 401);
      const again = await owner.client.request('DELETE', `${keysUrl()}/${apiKey.id}`);
      assert.equal(again.text, errorBody(400, 'API_KEY_NOT_FOUND', `No API Key with ID ${apiKey.id} exists.`, [apiKey.id], 'Bad Request'));
      const enveloped = await owner.client.request('DELETE', `${keysUrl()}/${apiKey.id}?envelope=true`);
      assert.equal(enveloped.status, 400);
      assert.deepEqual(enveloped.json(), { content: JSON.parse(again.text) as unknown, status: 400 });
    });
  });

  describe('.../apiKeys/{id}/accessList', () => {
    let subjectId: string;
    let subject: DigestTestClient;

    before(async () => {
      const { apiKey, privateKey } = await server.livelink.services.apiKeys.create({
        orgId: owner.orgId,
        description: 'listed',
        roles: ['ORG_MEMBER'],
        accessList: ['10.0.0.0/8'],
      });
      subjectId = apiKey.id;
      subject = server.client(apiKey.publicKey, privateKey);
    });

    const listUrl = (base = OPS) => `${keysUrl(base)}/${subjectId}/accessList`;
    const entry = (cidrBlock: string, ipAddress?: string, base = OPS) => ({
      cidrBlock,
      ...(ipAddress === undefined ? {} : { ipAddress }),
      links: [{ href: `${server.url}${listUrl(base)}/${encodeURIComponent(ipAddress ?? cidrBlock)}`, rel: 'self' }],
    });

    it('adds entries (200, the whole list), which apply on the next request; deleting one refuses that address at once', async () => {
      const refused = await subject.request('GET', `${OPS}/orgs/${owner.orgId}`);
      assert.equal(refused.status, 403);
      assert.equal(
        refused.text,
        errorBody(
          403,
          'IP_ADDRESS_NOT_ON_ACCESS_LIST',
          'IP address 127.0.0.1 is not allowed to access this resource.',
          ['127.0.0.1'],
          'Forbidden',
        ),
      );

      const added = await owner.client.request('POST', listUrl(), [
        { ipAddress: '127.0.0.1' },
        { cidrBlock: '192.0.2.0/24' },
        { cidrBlock: '10.0.0.0/8' },
      ]);
      assert.equal(added.status, 200);
      assert.equal(
        added.text,
        JSON.stringify({
          links: [{ href: `${server.url}${listUrl()}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
          results: [entry('10.0.0.0/8'), entry('127.0.0.1/32', '127.0.0.1'), entry('192.0.2.0/24')],
          totalCount: 3,
        }),
      );
      assert.equal((await subject.request('GET', `${OPS}/orgs/${owner.orgId}`)).status, 200);

      const one = await owner.client.request('GET', `${listUrl()}/192.0.2.0%2F24`);
      assert.equal(one.status, 200);
      assert.equal(one.text, JSON.stringify(entry('192.0.2.0/24')));
      assert.equal(
        (await owner.client.request('GET', `${listUrl()}/127.0.0.1%2F32`)).text,
        JSON.stringify(entry('127.0.0.1/32', '127.0.0.1')),
      );

      const removed = await owner.client.request('DELETE', `${listUrl()}/127.0.0.1`);
      assert.equal(removed.status, 204);
      assert.equal((await subject.request('GET', `${OPS}/orgs/${owner.orgId}`)).status, 403);
      const gone = await owner.client.request('DELETE', `${listUrl()}/127.0.0.1`);
      assert.equal(gone.status, 404);
      assert.equal(
        gone.text,
        errorBody(
          404,
          'API_KEY_ACCESS_LIST_NOT_FOUND',
          'The specified IP address 127.0.0.1 does not exist in the API key access list.',
          ['127.0.0.1'],
          'Not Found',
        ),
      );
      const missing = await owner.client.request('GET', `${listUrl()}/not-an-address`);
      assert.equal(missing.status, 404);
    });

    it('answers on the older whitelist path and on Atlas v2, with includeCount', async () => {
      const legacy = await owner.client.request('GET', `${keysUrl()}/${subjectId}/whitelist`);
      assert.equal(legacy.status, 200);
      assert.equal((legacy.json() as { totalCount: number }).totalCount, 2);
      const atlas = await owner.client.request('POST', `${listUrl(V2)}?includeCount=false`, [{ ipAddress: '198.51.100.7' }]);
      assert.equal(atlas.status, 200);
      assert.equal(atlas.headers.get('content-type'), ATLAS_V2_JSON);
      assert.deepEqual(atlas.json(), {
        links: [{ href: `${server.url}${listUrl(V2)}?pageNum=1&itemsPerPage=100`, rel: 'self' }],
        results: [entry('10.0.0.0/8', undefined, V2), entry('192.0.2.0/24', undefined, V2), entry('198.51.100.7/32', '198.51.100.7', V2)],
      });
    });

    it('refuses entries that are not an address or a block, both at once, or none; and a caller that is not an Owner', async () => {
      const cases: [unknown, string, string, string][] = [
        [
          [{ ipAddress: '10.0.0.0/8' }],
          'INVALID_ATTRIBUTE',
          'Invalid attribute ipAddress specified: "10.0.0.0/8" is not an IP address.',
          'ipAddress',
        ],
        [
          [{ cidrBlock: '10.0.0.1' }],
          'INVALID_ATTRIBUTE',
          'Invalid attribute cidrBlock specified: "10.0.0.1" is not a CIDR block.',
          'cidrBlock',
        ],
        [
          [{ ipAddress: '1.2.3.4', cidrBlock: '1.2.3.0/24' }],
          'INVALID_ATTRIBUTE',
          'Invalid attribute ipAddress specified: set ipAddress or cidrBlock, not both.',
          'ipAddress',
        ],
        [[{}], 'MISSING_ATTRIBUTE', 'The required attribute ipAddress was not specified.', 'ipAddress'],
        [[], 'INVALID_ATTRIBUTE', 'Invalid attribute body specified.', 'body'],
        [[{ ipAddress: '1.2.3.4', comment: 'x' }], 'INVALID_ATTRIBUTE', 'Invalid attribute comment specified.', 'comment'],
      ];
      for (const [body, code, detail, attribute] of cases) {
        const response = await owner.client.request('POST', listUrl(), body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.text, errorBody(400, code, detail, [attribute], 'Bad Request'));
      }
      const object = await owner.client.request('POST', listUrl(), { ipAddress: '1.2.3.4' });
      assert.equal(object.text, errorBody(400, 'INVALID_JSON', 'Received JSON does not match expected format.', [], 'Bad Request'));
      assert.equal((await reader.request('GET', listUrl())).status, 401);
      assert.equal((await reader.request('POST', listUrl(), [{ ipAddress: '1.2.3.4' }])).status, 401);
    });
  });

  describe('the keys of a link-token and of a migration host', () => {
    it('are listed, and refused with 409 CANNOT_MODIFY_LIVE_MIGRATION_API_KEY when changed here; the link keeps working', async () => {
      const token = await owner.client.request('POST', `${V2}/orgs/${owner.orgId}/liveMigrations/linkTokens`, {
        accessListIps: ['127.0.0.1'],
      });
      assert.equal(token.status, 201);
      const keys = (await owner.client.request('GET', keysUrl(V2))).json() as { results: KeyView[] };
      const linkKey = keys.results.find((key) => key.roles.some((role) => role.roleName === 'ORG_LIVE_MIGRATION_LINK'));
      assert.ok(linkKey !== undefined);
      assert.equal(linkKey.desc, 'Live migration link-token');
      const how = `it is the key of a link-token of organization ${owner.orgId}; revoke it with DELETE /api/atlas/v2/orgs/${owner.orgId}/liveMigrations/linkTokens.`;
      const expected = errorBody(
        409,
        'CANNOT_MODIFY_LIVE_MIGRATION_API_KEY',
        `API key ${linkKey.publicKey} is managed by livelink for a live migration and cannot be changed through this resource: ${how}`,
        [linkKey.publicKey],
        'Conflict',
      );
      const attempts: [string, string, unknown][] = [
        ['DELETE', `${keysUrl(V2)}/${linkKey.id}`, undefined],
        ['PATCH', `${keysUrl(V2)}/${linkKey.id}`, { desc: 'mine now' }],
        ['POST', `${keysUrl(V2)}/${linkKey.id}/accessList`, [{ ipAddress: '198.51.100.1' }]],
        ['DELETE', `${keysUrl(V2)}/${linkKey.id}/accessList/127.0.0.1`, undefined],
      ];
      for (const [method, path, body] of attempts) {
        const response = await owner.client.request(method, path, body);
        assert.equal(response.status, 409, `${method} ${path}`);
        assert.equal(response.text, expected);
      }
      assert.equal((await owner.client.request('GET', `${keysUrl(V2)}/${linkKey.id}/accessList/127.0.0.1`)).status, 200);
      assert.equal((await owner.client.request('DELETE', `${V2}/orgs/${owner.orgId}/liveMigrations/linkTokens`)).status, 204);

      const project = await server.livelink.services.organizations.createProject(owner.orgId, 'Hosts');
      const host = await server.livelink.services.migrationHosts.add(project.id, 'mh1.example.internal');
      const hostKeyId = host.apiKey?.apiKey.id ?? '';
      const refused = await owner.client.request('DELETE', `${keysUrl()}/${hostKeyId}`);
      assert.equal(refused.status, 409);
      assert.equal((refused.json() as { errorCode: string }).errorCode, 'CANNOT_MODIFY_LIVE_MIGRATION_API_KEY');
      assert.equal((await owner.client.request('GET', `${keysUrl()}/${hostKeyId}`)).status, 200);
    });
  });
});
