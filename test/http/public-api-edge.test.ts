/**
 * The wire layer on a started server: the digest challenge, the error catalogue, pretty and envelope,
 * the headers, access lists and roles — exact statuses, headers and bodies.
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const CHALLENGE = /^Digest realm="MMS Public API", domain="", nonce="[A-Za-z0-9]+", algorithm=MD5, qop="auth", stale=false$/;
const UNAUTHENTICATED_BODY =
  '{"detail":"You are not authorized for this resource.","error":401,"errorCode":"USER_UNAUTHORIZED","parameters":[],"reason":"Unauthorized"}';
const FORBIDDEN_ROLE_BODY =
  '{"detail":"Current user is not authorized to perform this action.","error":401,"errorCode":"USER_UNAUTHORIZED","parameters":[],"reason":"Unauthorized"}';

describe('the Public API edge', () => {
  let server: RunningLivelink;
  let owner: OrgWithKey;
  let other: OrgWithKey;
  let readOnly: OrgWithKey;
  let projectId: string;

  before(async () => {
    server = await startLivelink();
    owner = await server.organizationWithKey('Owner Org');
    other = await server.organizationWithKey('Other Org');
    readOnly = await server.organizationWithKey('Read Only Org', ['ORG_READ_ONLY']);
    projectId = (await server.livelink.services.organizations.createProject(owner.orgId, 'Project A')).id;
  });
  after(() => server.close());

  const statusPath = (orgId: string) => `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink/status`;

  describe('digest challenge', () => {
    it('answers an unauthenticated request with the exact challenge, headers and body', async () => {
      const response = await fetch(`${server.url}${statusPath(owner.orgId)}`);
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', CHALLENGE);
      // As the Ops Manager documentation's 401 example has it; the Atlas paths are below.
      assert.equal(response.headers.get('content-type'), 'application/json;charset=ISO-8859-1');
      assert.equal(response.headers.get('strict-transport-security'), 'max-age=300');
      assert.match(response.headers.get('x-mongodb-service-version') ?? '', /^gitHash=[^;=]+; versionString=livelink-[0-9.]+$/);
      assert.equal(response.headers.get('vary'), 'Accept-Encoding');
      assert.equal(await response.text(), UNAUTHENTICATED_BODY);
    });

    it('keeps application/json on the challenge of the Atlas paths, as Atlas was observed sending it', async () => {
      for (const path of [
        `/api/atlas/v2/orgs/${owner.orgId}/liveMigrations/linkTokens`,
        `/api/atlas/v1.0/orgs/${owner.orgId}/liveExport/migrationLink/status`,
        `/api/atlas/v2/orgs/${owner.orgId}/liveMigrations/availableProjects?pretty=true`,
      ]) {
        const response = await fetch(`${server.url}${path}`);
        assert.equal(response.status, 401, path);
        assert.equal(response.headers.get('content-type'), 'application/json', path);
        assert.match(response.headers.get('www-authenticate') ?? '', CHALLENGE, path);
      }
      // A role refusal is not the challenge: plain JSON on the Ops Manager paths too.
      const refused = await owner.client.request('GET', statusPath(other.orgId));
      assert.equal(refused.headers.get('content-type'), 'application/json');
    });

    it('answers the plain challenge (taken before the framework) with the bytes of the framework path', async () => {
      // Raw header lines, in order: fetch would sort and merge them.
      const raw = (path: string, headers: OutgoingHttpHeaders, method = 'GET') =>
        new Promise<{ status: number; headers: string[]; body: string }>((resolve, reject) => {
          const req = httpRequest(`${server.url}${path}`, { method, headers }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const lines: string[] = [];
              for (let i = 0; i < res.rawHeaders.length; i += 2) {
                const name = res.rawHeaders[i] ?? '';
                // The nonce is fresh and the date moves on: everything else must be the same.
                const value =
                  name === 'WWW-Authenticate'
                    ? (res.rawHeaders[i + 1] ?? '').replace(/nonce="[A-Za-z0-9]+"/, 'nonce="N"')
                    : name === 'Date'
                      ? 'D'
                      : res.rawHeaders[i + 1];
                lines.push(`${name}: ${value}`);
              }
              resolve({ status: res.statusCode ?? 0, headers: lines, body: Buffer.concat(chunks).toString('utf8') });
            });
          });
          req.on('error', reject);
          req.end();
        });
      const path = statusPath(owner.orgId);
      const early = await raw(path, {});
      // An empty Authorization header and a query both go the framework's way, and mean the same.
      for (const [framework, headers] of [
        [path, { authorization: '' }],
        [`${path}?pretty=false`, {}],
        ['/api/public/v1.0/orgs/%61bc', {}],
      ] as const) {
        assert.deepEqual(await raw(framework, headers), early, framework);
      }
      // Header names in the case Ops Manager writes them, on both paths.
      assert.deepEqual(early.headers, [
        'Strict-Transport-Security: max-age=300',
        early.headers[1],
        'Vary: Accept-Encoding',
        'WWW-Authenticate: Digest realm="MMS Public API", domain="", nonce="N", algorithm=MD5, qop="auth", stale=false',
        'Content-Type: application/json;charset=ISO-8859-1',
        `Content-Length: ${UNAUTHENTICATED_BODY.length}`,
        'Date: D',
        'Connection: keep-alive',
        'Keep-Alive: timeout=65',
      ]);
      assert.match(early.headers[1] ?? '', /^X-MongoDB-Service-Version: gitHash=[^;=]+; versionString=livelink-[0-9.]+$/);
      assert.equal(early.body, UNAUTHENTICATED_BODY);
      const head = await raw(path, {}, 'HEAD');
      assert.deepEqual([head.status, head.headers, head.body], [401, early.headers, '']);
      // On an Atlas path the two paths agree as well, on Atlas's Content-Type.
      const atlasPath = `/api/atlas/v2/orgs/${owner.orgId}/liveMigrations/linkTokens`;
      const atlasEarly = await raw(atlasPath, {});
      assert.deepEqual(await raw(atlasPath, { authorization: '' }), atlasEarly);
      assert.deepEqual(
        atlasEarly.headers,
        early.headers.map((line) => (line.startsWith('Content-Type:') ? 'Content-Type: application/json' : line)),
      );
    });

    it('writes header names in the wire case on the framework path too (a script greps curl -i for them)', async () => {
      const lines = async (path: string, method = 'GET', headers: OutgoingHttpHeaders = {}) =>
        new Promise<string[]>((resolve, reject) => {
          const req = httpRequest(`${server.url}${path}`, { method, headers }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.rawHeaders.filter((_, i) => i % 2 === 0)));
          });
          req.on('error', reject);
          req.end();
        });
      const ok = await owner.client.request('GET', statusPath(owner.orgId));
      assert.equal(ok.status, 200);
      // The digest client reads parsed headers; the raw names come from a plain request of the same kind.
      assert.deepEqual(await lines('/health'), [
        'Strict-Transport-Security',
        'X-MongoDB-Service-Version',
        'Vary',
        'Content-Type',
        'Content-Length',
        'Date',
        'Connection',
        'Keep-Alive',
      ]);
      assert.deepEqual(await lines('/health', 'DELETE'), [
        'Strict-Transport-Security',
        'X-MongoDB-Service-Version',
        'Vary',
        'Allow',
        'Content-Type',
        'Content-Length',
        'Date',
        'Connection',
        'Keep-Alive',
      ]);
      assert.deepEqual(await lines(`${statusPath(owner.orgId)}?pretty=true`), [
        'Strict-Transport-Security',
        'X-MongoDB-Service-Version',
        'Vary',
        'WWW-Authenticate',
        'Content-Type',
        'Content-Length',
        'Date',
        'Connection',
        'Keep-Alive',
      ]);
    });

    it('challenges an unauthenticated POST with a body before parsing it, even malformed', async () => {
      const response = await fetch(`${server.url}/api/public/v1.0/orgs/${owner.orgId}/liveExport/migrationLink`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{not json',
      });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', CHALLENGE);
    });

    it('challenges unknown paths under /api/ instead of revealing they do not exist', async () => {
      const response = await fetch(`${server.url}/api/public/v1.0/no/such/thing`, { method: 'PATCH', body: 'x' });
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', CHALLENGE);
    });

    it('mints a fresh nonce on every challenge', async () => {
      const a = (await fetch(`${server.url}${statusPath(owner.orgId)}`)).headers.get('www-authenticate');
      const b = (await fetch(`${server.url}${statusPath(owner.orgId)}`)).headers.get('www-authenticate');
      assert.notEqual(a, b);
    });

    it('answers a wrong password and an unknown key identically (apart from the nonce)', async () => {
      const wrong = await server.client(owner.publicKey, '00000000-0000-4000-8000-000000000000').request('GET', statusPath(owner.orgId));
      const unknown = await server.client('zzzzzzzz', owner.privateKey).request('GET', statusPath(owner.orgId));
      for (const response of [wrong, unknown]) {
        assert.equal(response.status, 401);
        assert.match(response.headers.get('www-authenticate') ?? '', CHALLENGE);
        assert.equal(response.text, UNAUTHENTICATED_BODY);
      }
    });

    it('refuses a replayed Authorization header', async () => {
      const path = statusPath(owner.orgId);
      const first = await owner.client.request('GET', path);
      assert.equal(first.status, 200);
      const captured = owner.client.sent.at(-1)?.authorization as string;
      const replay = await owner.client.send('GET', path, undefined, { authorization: captured });
      assert.equal(replay.status, 401);
      assert.match(replay.headers.get('www-authenticate') ?? '', CHALLENGE);
    });

    it('answers a digest for another request target with 400 (D-09)', async () => {
      const path = statusPath(owner.orgId);
      const challenge = await fetch(`${server.url}${path}`);
      const nonce = /nonce="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1] as string;
      const forOtherPath = owner.client.answer('GET', statusPath(other.orgId), nonce);
      const response = await owner.client.send('GET', path, undefined, { authorization: forOtherPath });
      assert.equal(response.status, 400);
      assert.equal(
        response.text,
        '{"detail":"The uri of the Authorization header is not the request target.","error":400,"errorCode":"INVALID_REQUEST","parameters":[],"reason":"Bad Request"}',
      );
      const otherQuery = owner.client.answer('GET', `${path}?pretty=true`, nonce);
      assert.equal((await owner.client.send('GET', `${path}?pretty=false`, undefined, { authorization: otherQuery })).status, 400);
    });

    it('looks the key up once per authenticated request', async () => {
      const apiKeys = server.livelink.services.apiKeys;
      const original = apiKeys.findForAuthentication.bind(apiKeys);
      const lookedUp: string[] = [];
      apiKeys.findForAuthentication = async (publicKey) => {
        lookedUp.push(publicKey);
        return original(publicKey);
      };
      try {
        assert.equal((await owner.client.request('GET', statusPath(owner.orgId))).status, 200);
        assert.equal((await owner.client.request('GET', `/api/public/v1.0/groups/${projectId}`)).status, 200);
      } finally {
        delete (apiKeys as { findForAuthentication?: unknown }).findForAuthentication;
      }
      // Two authenticated requests (their challenges look nothing up).
      assert.deepEqual(lookedUp, [owner.publicKey, owner.publicKey]);
    });

    it('lets a client reuse a nonce with increasing nc, one round trip per call', async () => {
      const client = server.client(owner.publicKey, owner.privateKey, { mode: 'reuse-nonce' });
      for (let i = 0; i < 4; i += 1) assert.equal((await client.request('GET', statusPath(owner.orgId))).status, 200);
      assert.equal(client.sent.length, 5);
    });
  });

  describe('roles and organizations', () => {
    it('lets the Organization Owner read the link status', async () => {
      const response = await owner.client.request('GET', statusPath(owner.orgId));
      assert.equal(response.status, 200);
      assert.equal(response.text, '{"status":"NOT_SYNCED"}');
      assert.equal(response.headers.get('content-type'), 'application/json');
    });

    it('gives another organization, a missing organization and a missing role the same 401', async () => {
      for (const [client, orgId] of [
        [owner.client, other.orgId],
        [owner.client, 'ffffffffffffffffffffffff'],
        [readOnly.client, readOnly.orgId],
      ] as const) {
        const response = await client.request('GET', statusPath(orgId));
        assert.equal(response.status, 401, orgId);
        assert.equal(response.text, FORBIDDEN_ROLE_BODY);
        assert.equal(response.headers.get('www-authenticate'), null);
      }
    });

    it('lets a read-only key read its organization but not link it', async () => {
      const response = await readOnly.client.request('GET', `/api/public/v1.0/orgs/${readOnly.orgId}`);
      assert.equal(response.status, 200);
      const body = response.json() as Record<string, unknown>;
      assert.deepEqual(body, {
        id: readOnly.orgId,
        isDeleted: false,
        links: [{ href: `${server.url}/api/public/v1.0/orgs/${readOnly.orgId}`, rel: 'self' }],
        name: 'Read Only Org',
      });
    });

    it('refuses an organization id that is not 24 hex digits with INVALID_ORG_ID', async () => {
      const response = await owner.client.request('GET', statusPath('5f1a'));
      assert.equal(response.status, 400);
      assert.equal(
        response.text,
        '{"detail":"An invalid organization ID 5f1a was specified.","error":400,"errorCode":"INVALID_ORG_ID","parameters":["5f1a"],"reason":"Bad Request"}',
      );
    });

    it('gives a global owner ORG_NOT_FOUND for an organization that does not exist', async () => {
      const { apiKey, privateKey } = await server.livelink.services.apiKeys.create({
        orgId: null,
        description: 'admin',
        roles: ['GLOBAL_OWNER'],
        accessList: [],
      });
      const response = await server.client(apiKey.publicKey, privateKey).request('GET', statusPath('ffffffffffffffffffffffff'));
      assert.equal(response.status, 404);
      assert.equal((response.json() as { errorCode: string }).errorCode, 'ORG_NOT_FOUND');
    });

    it('lists only the organizations a key belongs to', async () => {
      const response = await owner.client.request('GET', '/api/public/v1.0/orgs');
      const body = response.json() as { results: { id: string }[]; totalCount: number };
      assert.deepEqual(
        body.results.map((o) => o.id),
        [owner.orgId],
      );
      assert.equal(body.totalCount, 1);
    });

    it("serves the organization's projects and one project in the Ops Manager shapes", async () => {
      const list = await owner.client.request('GET', `/api/public/v1.0/orgs/${owner.orgId}/groups`);
      assert.equal(list.status, 200);
      const body = list.json() as { results: { id: string; name: string; orgId: string }[]; totalCount: number };
      assert.deepEqual(
        body.results.map((p) => [p.id, p.name, p.orgId]),
        [[projectId, 'Project A', owner.orgId]],
      );
      const one = await owner.client.request('GET', `/api/public/v1.0/groups/${projectId}`);
      assert.equal(one.status, 200);
      assert.equal((one.json() as { name: string }).name, 'Project A');
      const foreign = await other.client.request('GET', `/api/public/v1.0/groups/${projectId}`);
      assert.equal(foreign.status, 401);
      const invalid = await other.client.request('GET', '/api/public/v1.0/groups/nothex');
      assert.equal((invalid.json() as { errorCode: string }).errorCode, 'INVALID_GROUP_ID');
    });
  });

  describe('access lists', () => {
    it('refuses a key whose access list excludes the caller with IP_ADDRESS_NOT_ON_ACCESS_LIST', async () => {
      const listed = await server.organizationWithKey('Listed Org', ['ORG_OWNER'], { accessList: ['203.0.113.0/24'] });
      const response = await listed.client.request('GET', statusPath(listed.orgId));
      assert.equal(response.status, 403);
      assert.equal(
        response.text,
        '{"detail":"IP address 127.0.0.1 is not allowed to access this resource.","error":403,"errorCode":"IP_ADDRESS_NOT_ON_ACCESS_LIST","parameters":["127.0.0.1"],"reason":"Forbidden"}',
      );
    });

    it('admits a key whose access list holds the caller', async () => {
      const listed = await server.organizationWithKey('Local Org', ['ORG_OWNER'], { accessList: ['127.0.0.0/8'] });
      assert.equal((await listed.client.request('GET', statusPath(listed.orgId))).status, 200);
    });

    it('refuses a key without an access list when its organization requires one', async () => {
      const strict = await server.organizationWithKey('Strict Org');
      await server.livelink.services.organizations.setRequireAccessList(strict.orgId, true);
      const response = await strict.client.request('GET', statusPath(strict.orgId));
      assert.equal(response.status, 403);
      assert.equal((response.json() as { errorCode: string }).errorCode, 'ORG_REQUIRES_ACCESS_LIST');
    });
  });

  describe('request bodies', () => {
    const linkPath = () => `/api/public/v1.0/orgs/${owner.orgId}/liveExport/migrationLink`;

    it('refuses malformed JSON with INVALID_JSON', async () => {
      const response = await owner.client.request('POST', linkPath(), '{"linkToken":');
      assert.equal(response.status, 400);
      assert.equal(
        response.text,
        '{"detail":"Received JSON does not match expected format.","error":400,"errorCode":"INVALID_JSON","parameters":[],"reason":"Bad Request"}',
      );
    });

    it('refuses a body that is not an object with INVALID_JSON', async () => {
      for (const body of ['[]', '"text"', '42', 'null']) {
        const response = await owner.client.request('POST', linkPath(), body);
        assert.equal((response.json() as { errorCode: string }).errorCode, 'INVALID_JSON', body);
      }
    });

    it('refuses a missing linkToken with MISSING_ATTRIBUTE (mongocli sends {} without --linkToken)', async () => {
      const response = await owner.client.request('POST', linkPath(), {});
      assert.equal(response.status, 400);
      assert.equal(
        response.text,
        '{"detail":"The required attribute linkToken was not specified.","error":400,"errorCode":"MISSING_ATTRIBUTE","parameters":["linkToken"],"reason":"Bad Request"}',
      );
    });

    it('refuses an unknown field with INVALID_ATTRIBUTE naming it', async () => {
      const response = await owner.client.request('POST', linkPath(), { linkToken: 'x', extra: true });
      assert.equal(response.status, 400);
      assert.equal(
        response.text,
        '{"detail":"Invalid attribute extra specified.","error":400,"errorCode":"INVALID_ATTRIBUTE","parameters":["extra"],"reason":"Bad Request"}',
      );
    });

    it('refuses a linkToken of the wrong type with INVALID_ATTRIBUTE', async () => {
      const response = await owner.client.request('POST', linkPath(), { linkToken: 5 });
      assert.equal((response.json() as { errorCode: string; parameters: string[] }).errorCode, 'INVALID_ATTRIBUTE');
    });

    it('refuses an oversized body with 413 in the error format', async () => {
      const response = await owner.client.request('POST', linkPath(), { linkToken: 'a'.repeat(70_000) });
      assert.equal(response.status, 413);
      assert.equal(
        response.text,
        '{"detail":"The request body is larger than 65536 bytes.","error":413,"errorCode":"PAYLOAD_TOO_LARGE","parameters":["65536"],"reason":"Payload Too Large"}',
      );
    });
  });

  describe('pretty and envelope', () => {
    it('pretty-prints success and error bodies', async () => {
      const ok = await owner.client.request('GET', `${statusPath(owner.orgId)}?pretty=true`);
      assert.equal(ok.text, '{\n  "status" : "NOT_SYNCED"\n}');
      const error = await owner.client.request('GET', `${statusPath('bad')}?pretty=true`);
      assert.equal(
        error.text,
        '{\n  "detail" : "An invalid organization ID bad was specified.",\n  "error" : 400,\n  "errorCode" : "INVALID_ORG_ID",\n  "parameters" : [ "bad" ],\n  "reason" : "Bad Request"\n}',
      );
    });

    it('envelopes success and error bodies, keeping the status line', async () => {
      const ok = await owner.client.request('GET', `${statusPath(owner.orgId)}?envelope=true`);
      assert.equal(ok.status, 200);
      assert.equal(ok.text, '{"content":{"status":"NOT_SYNCED"},"status":200}');
      const error = await owner.client.request('GET', `${statusPath(other.orgId)}?envelope=true&pretty=true`);
      assert.equal(error.status, 401);
      assert.equal(
        error.text,
        '{\n  "content" : {\n    "detail" : "Current user is not authorized to perform this action.",\n    "error" : 401,\n    "errorCode" : "USER_UNAUTHORIZED",\n    "parameters" : [ ],\n    "reason" : "Unauthorized"\n  },\n  "status" : 401\n}',
      );
    });

    it('envelopes the digest challenge too', async () => {
      const response = await fetch(`${server.url}${statusPath(owner.orgId)}?envelope=true`);
      assert.equal(response.status, 401);
      assert.equal(await response.text(), `{"content":${UNAUTHENTICATED_BODY},"status":401}`);
    });

    it('refuses a value other than true or false, or a flag given twice, with INVALID_QUERY_PARAMETER', async () => {
      for (const query of ['pretty=1', 'pretty=yes', 'envelope=', 'envelope=false&envelope=false']) {
        const response = await owner.client.request('GET', `${statusPath(owner.orgId)}?${query}`);
        assert.equal(response.status, 400, query);
        const name = query.split('=')[0] as string;
        assert.equal(
          response.text,
          `{"detail":"Invalid query parameter ${name} specified.","error":400,"errorCode":"INVALID_QUERY_PARAMETER","parameters":["${name}"],"reason":"Bad Request"}`,
        );
      }
      assert.equal(
        (await owner.client.request('GET', `${statusPath(owner.orgId)}?pretty=FALSE&envelope=True`)).text,
        '{"content":{"status":"NOT_SYNCED"},"status":200}',
      );
    });

    it('adds status to a list instead of wrapping it', async () => {
      const response = await owner.client.request('GET', '/api/public/v1.0/orgs?envelope=true');
      const body = response.json() as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['links', 'results', 'status', 'totalCount']);
      assert.equal(body['status'], 200);
    });
  });

  describe('outside the Public API', () => {
    it('serves /health without authentication', async () => {
      const response = await fetch(`${server.url}/health`);
      assert.equal(response.status, 200);
      assert.equal(await response.text(), '{"status":"OK"}');
    });

    it('answers unknown paths outside /api/ with RESOURCE_NOT_FOUND', async () => {
      const response = await fetch(`${server.url}/nothing-here?x=1`);
      assert.equal(response.status, 404);
      assert.equal(
        await response.text(),
        '{"detail":"Cannot find resource /nothing-here.","error":404,"errorCode":"RESOURCE_NOT_FOUND","parameters":["/nothing-here"],"reason":"Not Found"}',
      );
    });

    it('answers a method a resource does not take with 405 and Allow', async () => {
      const response = await owner.client.request('PUT', statusPath(owner.orgId), {});
      assert.equal(response.status, 405);
      assert.equal(response.headers.get('allow'), 'GET, HEAD');
      assert.equal(
        response.text,
        `{"detail":"Method PUT is not allowed on resource ${statusPath(owner.orgId)}.","error":405,"errorCode":"METHOD_NOT_ALLOWED","parameters":["PUT","${statusPath(owner.orgId)}"],"reason":"Method Not Allowed"}`,
      );
      const link = await owner.client.request('PATCH', `/api/public/v1.0/orgs/${owner.orgId}/liveExport/migrationLink`, {});
      assert.equal(link.headers.get('allow'), 'DELETE, POST');
      // QUERY without a Content-Type: Fastify refuses it before routing; still a 405 on a resource that exists.
      const query = await owner.client.request('QUERY', statusPath(owner.orgId));
      assert.equal(query.status, 405);
      assert.equal(query.headers.get('allow'), 'GET, HEAD');
      const health = await fetch(`${server.url}/health`, { method: 'DELETE' });
      assert.equal(health.status, 405);
      assert.equal(health.headers.get('allow'), 'GET, HEAD');
      // A fixed segment is its own resource, as the router takes it: `validate` is not a migration id.
      const group = '0123456789abcdef01234567';
      const validate = await owner.client.request('OPTIONS', `/api/atlas/v2/groups/${group}/liveMigrations/validate`);
      assert.equal(validate.status, 405);
      assert.equal(validate.headers.get('allow'), 'POST');
      // Also for a method the parametric sibling takes: GET `validate` is not a read of migration "validate".
      const getValidate = await owner.client.request('GET', `/api/atlas/v2/groups/${group}/liveMigrations/validate`);
      assert.equal(getValidate.status, 405);
      assert.equal(getValidate.headers.get('allow'), 'POST');
      const migration = await owner.client.request('PATCH', `/api/atlas/v2/groups/${group}/liveMigrations/0123456789abcdef01234568`, {});
      assert.equal(migration.headers.get('allow'), 'GET, HEAD');
    });

    it('answers an authenticated request to an unknown API path with RESOURCE_NOT_FOUND', async () => {
      const response = await owner.client.request('GET', '/api/public/v1.0/unknown');
      assert.equal(response.status, 404);
      assert.equal((response.json() as { errorCode: string }).errorCode, 'RESOURCE_NOT_FOUND');
    });
  });

  describe('requests the HTTP parser refuses', () => {
    const raw = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const url = new URL(server.url);
        const socket = connect(Number(url.port), url.hostname, () => socket.end(bytes));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString('utf8')));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });

    it('answers a malformed request line in the error format', async () => {
      const answer = await raw('GARBAGE\r\n\r\n');
      // The headers every answer carries, in the wire case, then the error format's.
      assert.match(
        answer,
        /^HTTP\/1\.1 400 Bad Request\r\nStrict-Transport-Security: max-age=300\r\nX-MongoDB-Service-Version: gitHash=[^;=\r]+; versionString=livelink-[0-9.]+\r\nVary: Accept-Encoding\r\nContent-Type: application\/json\r\nContent-Length: \d+\r\nConnection: close\r\n\r\n/,
      );
      assert.ok(
        answer.endsWith(
          '{"detail":"The request is not valid HTTP.","error":400,"errorCode":"INVALID_REQUEST","parameters":[],"reason":"Bad Request"}',
        ),
        answer,
      );
    });

    it('answers oversized headers with 431 in the error format', async () => {
      const answer = await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      assert.match(answer, /"errorCode":"REQUEST_HEADER_FIELDS_TOO_LARGE"/);
    });
  });
});
