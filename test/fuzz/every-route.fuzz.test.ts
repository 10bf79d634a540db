/**
 * property-based fuzzing of every route's body, headers, query and path parameters, authenticated
 * (each case carries a valid digest answer, so it reaches validation and the handler). Whatever arrives,
 * the answer is never a 5xx, always the error format when it is an error, and the server stays up.
 *
 * `npm test` runs 300 cases per route from a fixed seed, so that every run sends the same cases and a
 * failure found there is found again on the next run; `npm run test:fuzz` runs 10,000 per route from a
 * fresh seed each time, to find what the fixed cases miss. LIVELINK_FUZZ_RUNS sets the cases per route,
 * LIVELINK_FUZZ_SEED the seed (an integer, or `random`); a failure prints the seed and path to replay it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { clientResponse } from '../digest/client-side.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const RUNS = positiveInteger('LIVELINK_FUZZ_RUNS', process.env['LIVELINK_FUZZ_RUNS'] ?? '300');
const SEED_SETTING = process.env['LIVELINK_FUZZ_SEED'] ?? '20240611';
/** undefined lets fast-check draw a seed (and print it when a case fails). */
const SEED = SEED_SETTING === 'random' ? undefined : integer('LIVELINK_FUZZ_SEED', SEED_SETTING);

function integer(name: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new TypeError(`${name} must be an integer, not ${JSON.stringify(value)}`);
  return parsed;
}

function positiveInteger(name: string, value: string): number {
  const parsed = integer(name, value);
  if (parsed < 1) throw new TypeError(`${name} must be at least 1, not ${parsed}`);
  return parsed;
}

describe('fuzzing every route', () => {
  let server: RunningLivelink;
  let source: OrgWithKey;
  let target: OrgWithKey;
  let nonce: string;
  let nc = 0;
  /** A key of the source organization the API-key cases may change or delete (never the fuzzing key itself). */
  let spareKeyId = '';

  before(async () => {
    server = await startLivelink();
    source = await server.organizationWithKey('Fuzz Source');
    target = await server.organizationWithKey('Fuzz Target');
    await server.livelink.services.organizations.createProject(source.orgId, 'Fuzz Project');
    const spare = await server.livelink.services.apiKeys.create({
      orgId: source.orgId,
      description: 'spare',
      roles: ['ORG_MEMBER'],
      accessList: [],
    });
    spareKeyId = spare.apiKey.id;
    const challenge = await server.livelink.http().inject({ method: 'GET', url: '/api/public/v1.0/orgs' });
    nonce = /nonce="([^"]+)"/.exec(String(challenge.headers['www-authenticate']))?.[1] as string;
  });
  after(() => server.close());

  /** A valid answer for this request: a new nc on the one nonce, as Python requests does. */
  function authorization(key: OrgWithKey, method: string, url: string): string {
    nc += 1;
    const ncHex = nc.toString(16).padStart(8, '0');
    const cnonce = randomBytes(8).toString('hex');
    const response = clientResponse({
      username: key.publicKey,
      password: key.privateKey,
      realm: 'MMS Public API',
      method,
      uri: url,
      nonce,
      algorithm: 'MD5',
      qop: 'auth',
      nc: ncHex,
      cnonce,
    });
    return `Digest username="${key.publicKey}", realm="MMS Public API", nonce="${nonce}", uri="${url}", response="${response}", qop=auth, nc=${ncHex}, cnonce="${cnonce}"`;
  }

  const jsonish = fc.oneof(
    { weight: 3, arbitrary: fc.json() },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify({ linkToken: v })) },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify({ accessListIps: v })) },
    { weight: 1, arbitrary: fc.dictionary(fc.string(), fc.jsonValue()).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
    { weight: 1, arbitrary: fc.base64String().map((b) => JSON.stringify({ linkToken: b })) },
  );
  const queryValue = fc.oneof(fc.constantFrom('true', 'false', 'TRUE', '', '1'), fc.string({ maxLength: 20 }));
  const query = fc.dictionary(fc.constantFrom('pretty', 'envelope', 'pageNum', 'itemsPerPage', 'name', 'x', 'pretty[]'), queryValue, {
    maxKeys: 4,
  });
  const contentType = fc.option(
    fc.constantFrom(
      'application/json',
      'application/vnd.atlas.2023-01-01+json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      '',
    ),
    { nil: undefined },
  );
  const pathId = (valid: string) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(valid) },
      fc.stringMatching(/^[a-f0-9]{24}$/),
      fc.string({ maxLength: 30 }).map(encodeURIComponent),
    );

  const routes: {
    name: string;
    method: string;
    path: (source: string, target: string, project: string) => fc.Arbitrary<string>;
    key: () => OrgWithKey;
    body: boolean;
  }[] = [
    {
      name: 'POST migrationLink',
      method: 'POST',
      path: (s) => pathId(s).map((id) => `/api/public/v1.0/orgs/${id}/liveExport/migrationLink`),
      key: () => source,
      body: true,
    },
    {
      name: 'DELETE migrationLink',
      method: 'DELETE',
      path: (s) => pathId(s).map((id) => `/api/public/v1.0/orgs/${id}/liveExport/migrationLink`),
      key: () => source,
      body: true,
    },
    {
      name: 'GET migrationLink status',
      method: 'GET',
      path: (s) => pathId(s).map((id) => `/api/atlas/v1.0/orgs/${id}/liveExport/migrationLink/status`),
      key: () => source,
      body: false,
    },
    {
      name: 'POST linkTokens',
      method: 'POST',
      path: (_s, t) => pathId(t).map((id) => `/api/atlas/v2/orgs/${id}/liveMigrations/linkTokens`),
      key: () => target,
      body: true,
    },
    {
      name: 'DELETE linkTokens',
      method: 'DELETE',
      path: (_s, t) => pathId(t).map((id) => `/api/atlas/v1.0/orgs/${id}/liveMigrations/linkTokens`),
      key: () => target,
      body: true,
    },
    {
      name: 'GET availableProjects',
      method: 'GET',
      path: (_s, t) => pathId(t).map((id) => `/api/atlas/v2/orgs/${id}/liveMigrations/availableProjects`),
      key: () => target,
      body: false,
    },
    {
      name: 'PUT source inventory',
      method: 'PUT',
      path: (s, t) => fc.tuple(pathId(t), pathId(s)).map(([a, b]) => `/api/atlas/v1.0/orgs/${a}/liveMigrations/sourceOrganizations/${b}`),
      key: () => target,
      body: true,
    },
    // Live migrations: the source's owner key owns its project too (one process serves both roles), so the
    // cases reach body validation and the static checks.
    {
      name: 'POST liveMigrations/validate',
      method: 'POST',
      path: (_s, _t, p) => pathId(p).map((id) => `/api/atlas/v2/groups/${id}/liveMigrations/validate`),
      key: () => source,
      body: true,
    },
    {
      name: 'POST liveMigrations',
      method: 'POST',
      path: (_s, _t, p) => pathId(p).map((id) => `/api/atlas/v1.0/groups/${id}/liveMigrations`),
      key: () => source,
      body: true,
    },
    {
      name: 'PUT liveMigrations cutover',
      method: 'PUT',
      path: (_s, _t, p) =>
        fc.tuple(pathId(p), pathId(p)).map(([group, id]) => `/api/atlas/v2/groups/${group}/liveMigrations/${id}/cutover`),
      key: () => source,
      body: false,
    },
    { name: 'GET orgs', method: 'GET', path: () => fc.constant('/api/public/v1.0/orgs'), key: () => source, body: false },
    { name: 'GET org', method: 'GET', path: (s) => pathId(s).map((id) => `/api/public/v1.0/orgs/${id}`), key: () => source, body: false },
    {
      name: 'GET org groups',
      method: 'GET',
      path: (s) => pathId(s).map((id) => `/api/public/v1.0/orgs/${id}/groups`),
      key: () => source,
      body: false,
    },
    {
      name: 'GET group',
      method: 'GET',
      path: (_s, _t, p) => pathId(p).map((id) => `/api/public/v1.0/groups/${id}`),
      key: () => source,
      body: false,
    },
    {
      name: 'GET org events',
      method: 'GET',
      path: (s) => pathId(s).map((id) => `/api/public/v1.0/orgs/${id}/events`),
      key: () => source,
      body: false,
    },
    {
      name: 'GET groups',
      method: 'GET',
      path: () => fc.constant('/api/public/v1.0/groups'),
      key: () => source,
      body: false,
    },
    {
      name: 'GET org users',
      method: 'GET',
      path: (s) => pathId(s).map((id) => `/api/public/v1.0/orgs/${id}/users`),
      key: () => source,
      body: false,
    },
    {
      name: 'GET Atlas group',
      method: 'GET',
      path: (_s, _t, p) => pathId(p).map((id) => `/api/atlas/v2/groups/${id}`),
      key: () => source,
      body: false,
    },
    {
      name: 'GET apiKeys',
      method: 'GET',
      path: (s) => pathId(s).map((id) => `/api/public/v1.0/orgs/${id}/apiKeys`),
      key: () => source,
      body: false,
    },
    {
      name: 'POST apiKeys',
      method: 'POST',
      path: (s) => pathId(s).map((id) => `/api/atlas/v2/orgs/${id}/apiKeys`),
      key: () => source,
      body: true,
    },
    {
      name: 'PATCH apiKeys/{id}',
      method: 'PATCH',
      path: (s) => fc.tuple(pathId(s), pathId(spareKeyId)).map(([org, key]) => `/api/public/v1.0/orgs/${org}/apiKeys/${key}`),
      key: () => source,
      body: true,
    },
    {
      name: 'POST apiKeys/{id}/accessList',
      method: 'POST',
      path: (s) => fc.tuple(pathId(s), pathId(spareKeyId)).map(([org, key]) => `/api/public/v1.0/orgs/${org}/apiKeys/${key}/accessList`),
      key: () => source,
      body: true,
    },
    {
      name: 'GET apiKeys/{id}/accessList/{entry}',
      method: 'GET',
      path: (s) =>
        fc
          .tuple(pathId(s), pathId(spareKeyId), fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 40 })))
          .map(([org, key, entry]) => `/api/atlas/v1.0/orgs/${org}/apiKeys/${key}/accessList/${encodeURIComponent(entry)}`),
      key: () => source,
      body: false,
    },
    {
      name: 'DELETE apiKeys/{id}/whitelist/{entry}',
      method: 'DELETE',
      path: (s) =>
        fc
          .tuple(pathId(s), pathId(spareKeyId), fc.oneof(fc.ipV4(), fc.string({ maxLength: 40 })))
          .map(([org, key, entry]) => `/api/public/v1.0/orgs/${org}/apiKeys/${key}/whitelist/${encodeURIComponent(entry)}`),
      key: () => source,
      body: true,
    },
    {
      name: 'DELETE apiKeys/{id}',
      method: 'DELETE',
      path: (s) => fc.tuple(pathId(s), pathId(spareKeyId)).map(([org, key]) => `/api/public/v1.0/orgs/${org}/apiKeys/${key}`),
      key: () => source,
      body: true,
    },
    {
      name: 'unknown paths and methods',
      method: 'PATCH',
      path: () => fc.webPath().map((p) => `/api/${p.replace(/^\//, '')}`),
      key: () => source,
      body: true,
    },
  ];

  for (const route of routes) {
    it(`${route.name}: ${RUNS} cases, no 5xx, always the error format`, async () => {
      const projectId = (await server.livelink.services.organizations.listProjects(source.orgId))[0]?.id ?? '';
      await fc.assert(
        fc.asyncProperty(
          route.path(source.orgId, target.orgId, projectId),
          query,
          jsonish,
          contentType,
          async (path, params, body, type) => {
            const search = new URLSearchParams(params).toString();
            const url = search === '' ? path : `${path}?${search}`;
            const headers: Record<string, string> = { authorization: authorization(route.key(), route.method, url) };
            if (type !== undefined) headers['content-type'] = type;
            const response = await server.livelink
              .http()
              .inject({ method: route.method as 'GET', url, headers, ...(route.body ? { payload: body } : {}) });
            assert.ok(response.statusCode < 500, `${route.method} ${url} ${body} → ${response.statusCode} ${response.body}`);
            if (response.statusCode >= 400) {
              const parsed = JSON.parse(response.body) as Record<string, unknown>;
              const error = 'content' in parsed && 'status' in parsed ? (parsed['content'] as Record<string, unknown>) : parsed;
              assert.deepEqual(Object.keys(error).sort(), ['detail', 'error', 'errorCode', 'parameters', 'reason'], response.body);
              assert.equal(error['error'], response.statusCode);
            }
          },
        ),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
      assert.equal((await fetch(`${server.url}/health`)).status, 200);
    });
  }
});
