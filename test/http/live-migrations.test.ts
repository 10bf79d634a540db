/**
 * The target's push live-migration API on a started server, over HTTP with digest: validate, read a
 * validation, create, read, cut over (v2 with its versioned media types, and v1.0), every static check
 * and error code, the roles, the slots, the link's 409s, expiry on the composition root's clock, and the
 * relay's target end, driven here with the link-token's key as the source would on a host's behalf.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newObjectId } from '../../src/shared/ids.js';
import type { DigestTestClient, TestResponse } from '../support/digest-client.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const V2_2024 = 'application/vnd.atlas.2024-05-30+json';
const V2_2023 = 'application/vnd.atlas.2023-01-01+json';
const HOST = 'mh1.example.com';

interface SourceOrg {
  owner: OrgWithKey;
  projectId: string;
}

describe('push live migrations on the target', () => {
  let server: RunningLivelink;
  let clockMs = Date.now();
  let atlas: OrgWithKey;
  let member: DigestTestClient;
  let other: OrgWithKey;
  let groupId: string;
  let a: SourceOrg;
  let b: SourceOrg;
  /** The link-token's key: what the source relays a host's calls with. */
  let link: DigestTestClient;

  const v2 = () => `/api/atlas/v2/groups/${groupId}/liveMigrations`;
  const v1 = () => `/api/atlas/v1.0/groups/${groupId}/liveMigrations`;
  const relay = (source: SourceOrg) => `/api/atlas/v1.0/orgs/${atlas.orgId}/liveMigrations/sourceOrganizations/${source.owner.orgId}`;
  const jobPath = (source: SourceOrg, hostname = HOST) => `${relay(source)}/groups/${source.projectId}/migrationHosts/${hostname}/job`;

  /** What `atlas lm create|validation create ... --sourceManagedAuthentication` sends (the record's §4.2), with real ids. */
  const cliBody = (source: SourceOrg, overrides: { clusterName?: string; sourceClusterName?: string } = {}) => ({
    destination: { clusterName: overrides.clusterName ?? 'dest', groupId, hostnameSchemaType: '' },
    dropDestinationData: false,
    migrationHosts: [HOST],
    source: {
      caCertificatePath: '',
      clusterName: overrides.sourceClusterName ?? 'rs0',
      groupId: source.projectId,
      managedAuthentication: true,
      password: '',
      ssl: false,
      username: '',
    },
  });
  const v2Headers = (version = V2_2024) => ({ 'content-type': version, accept: version });

  async function heartbeat(source: SourceOrg): Promise<{ job: Record<string, unknown> | null }> {
    const response = await link.request('GET', jobPath(source));
    assert.equal(response.status, 200, response.text);
    return response.json() as { job: Record<string, unknown> | null };
  }

  async function report(
    source: SourceOrg,
    jobId: string,
    body: Record<string, unknown>,
    host: { projectId?: string; hostname?: string } = {},
  ): Promise<TestResponse> {
    const path = `${relay(source)}/groups/${host.projectId ?? source.projectId}/migrationHosts/${host.hostname ?? HOST}/jobs/${jobId}`;
    return link.request('PUT', path, body);
  }

  /** Ends the validations a test left PENDING, as the host would, so that the next job is what a test expects. */
  async function settle(source: SourceOrg): Promise<void> {
    for (;;) {
      const { job } = await heartbeat(source);
      if (job?.['kind'] !== 'VALIDATION') return;
      await report(source, String(job['id']), { kind: 'VALIDATION', status: 'SUCCESS' });
    }
  }

  const progress = (phase: string, lagSeconds: number | null, caughtUp = false) => ({
    kind: 'MIGRATION',
    phase,
    documentsCopied: 1000,
    collectionsCopied: 2,
    collectionsToCopy: 2,
    changesApplied: 10,
    lagSeconds,
    caughtUp,
  });

  async function create(source: SourceOrg, clusterName = 'dest'): Promise<TestResponse> {
    return atlas.client.request('POST', v2(), cliBody(source, { clusterName }), v2Headers());
  }

  async function createdId(source: SourceOrg, clusterName = 'dest'): Promise<string> {
    const response = await create(source, clusterName);
    assert.equal(response.status, 201, response.text);
    return (response.json() as { _id: string })._id;
  }

  async function migration(id: string): Promise<Record<string, unknown>> {
    const response = await atlas.client.request('GET', `${v2()}/${id}`, undefined, { accept: V2_2023 });
    assert.equal(response.status, 200, response.text);
    return response.json() as Record<string, unknown>;
  }

  async function readyForCutover(source: SourceOrg, id: string): Promise<void> {
    assert.equal((await report(source, id, progress('TAILING', 0.4, true))).status, 200);
    assert.equal((await migration(id))['readyForCutover'], true);
  }

  async function events(): Promise<{ eventTypeName: string; details: Record<string, unknown> }[]> {
    const response = await atlas.client.request('GET', `/api/public/v1.0/orgs/${atlas.orgId}/events`);
    return (response.json() as { results: { eventTypeName: string; details: Record<string, unknown> }[] }).results;
  }

  function assertError(response: TestResponse, status: number, errorCode: string, detail?: RegExp | string): void {
    assert.equal(response.status, status, response.text);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const body = response.json() as { error: number; errorCode: string; detail: string; reason: string; parameters: unknown };
    assert.deepEqual(Object.keys(body), ['detail', 'error', 'errorCode', 'parameters', 'reason']);
    assert.equal(body.error, status);
    assert.equal(body.errorCode, errorCode);
    if (typeof detail === 'string') assert.equal(body.detail, detail);
    else if (detail !== undefined) assert.match(body.detail, detail);
  }

  async function sourceOrg(name: string, linkToken: string): Promise<SourceOrg> {
    const owner = await server.organizationWithKey(name);
    const organizations = server.livelink.services.organizations;
    const projectId = (await organizations.createProject(owner.orgId, `${name} Project`)).id;
    const deployment = { mongoDBVersion: '7.0.12', featureCompatibilityVersion: '7.0', managed: true, shardsSize: null, tlsEnabled: false };
    const facts = { agentVersion: null, dbSizeBytes: null, oplogSizeMB: null };
    await organizations.createDeployment(projectId, { name: 'rs0', sharded: false, ...deployment, ...facts });
    await organizations.createDeployment(projectId, { name: 'sh0', sharded: true, ...deployment, ...facts, shardsSize: 2 });
    await organizations.addMigrationHost(projectId, HOST);
    const linked = await owner.client.request('POST', `/api/public/v1.0/orgs/${owner.orgId}/liveExport/migrationLink`, { linkToken });
    assert.equal(linked.status, 201, linked.text);
    return { owner, projectId };
  }

  before(async () => {
    server = await startLivelink({}, {}, { livelink: { now: () => new Date(clockMs), cutoverWaitMs: 1500 } });
    atlas = await server.organizationWithKey('Atlas Org');
    other = await server.organizationWithKey('Another Atlas Org');
    const { apiKey, privateKey } = await server.livelink.services.apiKeys.create({
      orgId: atlas.orgId,
      description: 'member',
      roles: ['ORG_MEMBER'],
      accessList: [],
    });
    member = server.client(apiKey.publicKey, privateKey);
    groupId = (await server.livelink.services.organizations.createProject(atlas.orgId, 'Atlas Project')).id;
    for (const name of ['dest', 'dest2']) {
      await server.livelink.services.clusters.create(groupId, {
        name,
        connectionString: `mongodb://127.0.0.1:27999/?name=${name}`,
        mongoDBVersion: '7.0.12',
      });
    }
    const token = await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, { accessListIps: [] });
    assert.equal(token.status, 201, token.text);
    const { linkToken } = token.json() as { linkToken: string };
    const contents = JSON.parse(Buffer.from(linkToken, 'base64').toString('utf8')) as { publicApiKey: string; privateApiKey: string };
    link = server.client(contents.publicApiKey, contents.privateApiKey);
    // Two source organizations linked with the same token.
    a = await sourceOrg('Ops Org A', linkToken);
    b = await sourceOrg('Ops Org B', linkToken);
  });
  after(() => server.close());

  describe('validate', () => {
    it('fails at once, saying why, when the migration host has not polled in the last 30 s', async () => {
      const response = await atlas.client.request('POST', `${v2()}/validate`, cliBody(a), v2Headers());
      assert.equal(response.status, 200, response.text);
      const body = response.json() as Record<string, unknown>;
      assert.equal(body['status'], 'FAILED');
      assert.equal(
        body['errorMessage'],
        `The migration host ${HOST} has not contacted livelink in the last 30 seconds: start it (livelink migration-host run) and validate again.`,
      );
    });

    it("accepts the Atlas CLI's exact body, stays PENDING until the host reports, and gives the host its job", async () => {
      assert.deepEqual(await heartbeat(a), { job: null });
      const response = await atlas.client.request('POST', `${v2()}/validate`, cliBody(a), v2Headers());
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.get('content-type'), `${V2_2024};charset=utf-8`);
      const body = response.json() as { _id: string };
      assert.match(body._id, /^[a-f0-9]{24}$/);
      assert.equal(
        response.text,
        JSON.stringify({ _id: body._id, errorMessage: null, groupId, sourceGroupId: a.projectId, status: 'PENDING' }),
      );

      const read = await atlas.client.request('GET', `${v2()}/validate/${body._id}`, undefined, { accept: V2_2023 });
      assert.equal(read.status, 200);
      assert.equal(read.headers.get('content-type'), `${V2_2023};charset=utf-8`);
      assert.equal(read.text, response.text);

      const { job } = await heartbeat(a);
      assert.deepEqual(job, {
        id: body._id,
        kind: 'VALIDATION',
        sourceGroupId: a.projectId,
        sourceClusterName: 'rs0',
        source: { managedAuthentication: true, username: null, password: null, ssl: false, caCertificatePath: null },
        destination: { clusterName: 'dest', connectionString: 'mongodb://127.0.0.1:27999/?name=dest' },
        dropDestinationData: false,
        cutoverRequested: false,
        stop: false,
      });
      const reported = await report(a, body._id, { kind: 'VALIDATION', status: 'SUCCESS', errorMessage: null });
      assert.equal(reported.text, '{"cutoverRequested":false,"stop":false}');
      const done = await atlas.client.request('GET', `${v2()}/validate/${body._id}`);
      assert.equal((done.json() as { status: string }).status, 'SUCCESS');
      assert.deepEqual(await heartbeat(a), { job: null });
      // A second report changes nothing and tells the host it is done.
      assert.equal((await report(a, body._id, { kind: 'VALIDATION', status: 'FAILED' })).text, '{"cutoverRequested":false,"stop":true}');
    });

    it("keeps the host's reason of a FAILED validation, and relays the credentials of an unmanaged source", async () => {
      const body = {
        ...cliBody(a),
        dropDestinationData: true,
        source: {
          ...cliBody(a).source,
          managedAuthentication: false,
          username: 'migrator',
          password: 's3cret',
          ssl: true,
          caCertificatePath: '/etc/ca.pem',
        },
      };
      const response = await atlas.client.request('POST', `${v2()}/validate`, body, v2Headers());
      const { _id: id } = response.json() as { _id: string };
      const { job } = await heartbeat(a);
      assert.deepEqual(job?.['source'], {
        managedAuthentication: false,
        username: 'migrator',
        password: 's3cret',
        ssl: true,
        caCertificatePath: '/etc/ca.pem',
      });
      assert.equal(job?.['dropDestinationData'], true);
      await report(a, id, { kind: 'VALIDATION', status: 'FAILED', errorMessage: 'Source appears to be a standalone' });
      const read = await atlas.client.request('GET', `${v2()}/validate/${id}`);
      assert.deepEqual(read.json(), {
        _id: id,
        errorMessage: 'Source appears to be a standalone',
        groupId,
        sourceGroupId: a.projectId,
        status: 'FAILED',
      });
    });

    it('reads 2023-01-01 bodies with dropEnabled, which that version requires', async () => {
      const { dropDestinationData: _drop, ...rest } = cliBody(a);
      const ok = await atlas.client.request('POST', `${v2()}/validate`, { ...rest, dropEnabled: false }, v2Headers(V2_2023));
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.headers.get('content-type'), `${V2_2023};charset=utf-8`);
      assertError(
        await atlas.client.request('POST', `${v2()}/validate`, rest, v2Headers(V2_2023)),
        400,
        'MISSING_ATTRIBUTE',
        'The required attribute dropEnabled was not specified.',
      );
      assertError(
        await atlas.client.request('POST', `${v2()}/validate`, { ...cliBody(a), dropEnabled: false }, v2Headers(V2_2023)),
        400,
        'INVALID_ATTRIBUTE',
        'Invalid attribute dropDestinationData specified.',
      );
      assertError(
        await atlas.client.request('POST', `${v2()}/validate`, { ...rest, dropEnabled: true }, v2Headers(V2_2024)),
        400,
        'INVALID_ATTRIBUTE',
        'Invalid attribute dropEnabled specified.',
      );
      // 2024-05-30 defaults dropDestinationData to false.
      assert.equal((await atlas.client.request('POST', `${v2()}/validate`, rest, v2Headers(V2_2024))).status, 200);
      await settle(a);
    });

    it('refuses schema-bounded fields beyond their limits with 400 naming the field, well under the body limit', async () => {
      const base = cliBody(a);
      const validate = (body: unknown) => atlas.client.request('POST', `${v2()}/validate`, body, v2Headers());
      const cases: [string, unknown][] = [
        [
          'source.password',
          { ...base, source: { ...base.source, managedAuthentication: false, username: 'u', password: 'p'.repeat(4097) } },
        ],
        ['source.clusterName', { ...base, source: { ...base.source, clusterName: 'c'.repeat(257) } }],
        ['destination.clusterName', { ...base, destination: { ...base.destination, clusterName: 'c'.repeat(257) } }],
        ['migrationHosts', { ...base, migrationHosts: ['h'.repeat(256)] }],
        ['migrationHosts', { ...base, migrationHosts: Array.from({ length: 101 }, (_, i) => `mh${i}.example.com`) }],
      ];
      for (const [attribute, body] of cases) {
        assert.ok(JSON.stringify(body).length < 65536);
        assertError(await validate(body), 400, 'INVALID_ATTRIBUTE', `Invalid attribute ${attribute} specified.`);
      }
      // The relay's report: a reason beyond 2000 characters (a union of report kinds: TypeBox names the body).
      assertError(
        await report(a, newObjectId(new Date()), { ...progress('FAILED', null), errorMessage: 'e'.repeat(2001) }),
        400,
        'INVALID_ATTRIBUTE',
      );
    });

    it('answers every static check in the error format, naming what is wrong', async () => {
      const validate = (body: unknown) => atlas.client.request('POST', `${v2()}/validate`, body, v2Headers());
      const base = cliBody(a);
      const otherGroup = newObjectId(new Date());
      assertError(
        await validate({ ...base, destination: { ...base.destination, groupId: otherGroup } }),
        400,
        'INVALID_ATTRIBUTE',
        `Invalid attribute destination.groupId specified: it must be the project of the request path, ${groupId}.`,
      );
      assertError(
        await validate({ ...base, migrationHosts: [] }),
        400,
        'INVALID_ATTRIBUTE',
        /migrationHosts specified: give exactly one migration host \(got 0\)/,
      );
      assertError(await validate({ ...base, migrationHosts: [HOST, 'mh2'] }), 400, 'INVALID_ATTRIBUTE', /got 2/);
      assertError(
        await validate(cliBody(a, { clusterName: 'nope' })),
        404,
        'CLUSTER_NOT_FOUND',
        `No cluster named nope exists in group ${groupId}.`,
      );
      const unknownProject = newObjectId(new Date());
      assertError(
        await validate({ ...base, source: { ...base.source, groupId: unknownProject } }),
        404,
        'LIVE_MIGRATION_SOURCE_PROJECT_NOT_FOUND',
        new RegExp(
          `^No source organization linked to organization ${atlas.orgId} has pushed a project with ID ${unknownProject} \\(source.groupId\\)`,
        ),
      );
      assertError(
        await validate(cliBody(a, { sourceClusterName: 'nope' })),
        404,
        'LIVE_MIGRATION_SOURCE_CLUSTER_NOT_FOUND',
        `Source project ${a.projectId} has no deployment named nope (source.clusterName).`,
      );
      assertError(
        await validate({ ...base, migrationHosts: ['mh9.example.com'] }),
        404,
        'LIVE_MIGRATION_HOST_NOT_FOUND',
        `Source project ${a.projectId} has no migration host mh9.example.com (migrationHosts).`,
      );
      assertError(
        await validate(cliBody(a, { sourceClusterName: 'sh0' })),
        400,
        'INVALID_ATTRIBUTE',
        /source.clusterName specified: sh0 is a sharded cluster/,
      );
      assertError(
        await validate({ ...base, destination: { ...base.destination, hostnameSchemaType: 'PRIVATE_LINK' } }),
        400,
        'INVALID_ATTRIBUTE',
        /destination.hostnameSchemaType specified: livelink reaches a destination cluster by its connection string only/,
      );
      assertError(
        await validate({ ...base, destination: { ...base.destination, hostnameSchemaType: 'CARRIER_PIGEON' } }),
        400,
        'INVALID_ATTRIBUTE',
        'Invalid attribute destination.hostnameSchemaType specified.',
      );
      const { hostnameSchemaType: _type, ...noType } = base.destination;
      assertError(
        await validate({ ...base, destination: noType }),
        400,
        'MISSING_ATTRIBUTE',
        'The required attribute destination.hostnameSchemaType was not specified.',
      );
      assertError(
        await validate({ ...base, source: { ...base.source, username: 'someone' } }),
        400,
        'INVALID_ATTRIBUTE',
        /source.username specified: leave username and password out when managedAuthentication is true/,
      );
      assertError(
        await validate({ ...base, source: { ...base.source, managedAuthentication: false } }),
        400,
        'MISSING_ATTRIBUTE',
        'The required attribute source.username was not specified.',
      );
      assertError(
        await validate({ ...base, source: { ...base.source, managedAuthentication: false, username: 'u' } }),
        400,
        'MISSING_ATTRIBUTE',
        'The required attribute source.password was not specified.',
      );
      const entry = { database: 'db', collection: 'c', shardCollection: { key: [{ location: 1 }] } };
      assertError(
        await validate({ ...base, sharding: { createSupportingIndexes: true, shardingEntries: [entry] } }),
        400,
        'INVALID_ATTRIBUTE',
        /sharding specified/,
      );
      assert.equal((await validate({ ...base, sharding: { createSupportingIndexes: false, shardingEntries: [] } })).status, 200);
      assertError(await validate({ ...base, extra: 1 }), 400, 'INVALID_ATTRIBUTE', 'Invalid attribute extra specified.');
      assertError(
        await validate({ ...base, source: { ...base.source, groupId: '2' } }),
        400,
        'INVALID_ATTRIBUTE',
        'Invalid attribute source.groupId specified.',
      );
      assertError(
        await atlas.client.request('GET', `${v2()}/validate/${newObjectId(new Date())}`),
        404,
        'LIVE_MIGRATION_VALIDATION_NOT_FOUND',
      );
      await settle(a);
    });
  });

  describe('media types', () => {
    it('answers the newest resource version not later than the date asked for, the oldest when none is named', async () => {
      const validate = (headers: Record<string, string>) => atlas.client.request('POST', `${v2()}/validate`, cliBody(a), headers);
      const contentType = async (headers: Record<string, string>) => (await validate(headers)).headers.get('content-type');
      assert.equal(
        await contentType({ 'content-type': V2_2024, accept: 'application/vnd.atlas.2025-03-12+json' }),
        `${V2_2024};charset=utf-8`,
      );
      assert.equal(
        await contentType({ 'content-type': V2_2024, accept: 'application/vnd.atlas.2024-06-01+json' }),
        `${V2_2024};charset=utf-8`,
      );
      // No version in Accept: the body's version, else the oldest.
      assert.equal(await contentType({ 'content-type': V2_2024, accept: 'application/json' }), `${V2_2024};charset=utf-8`);
      const { dropDestinationData: _drop, ...rest } = cliBody(a);
      const plain = await atlas.client.request(
        'POST',
        `${v2()}/validate`,
        { ...rest, dropEnabled: false },
        { 'content-type': 'application/json', accept: '*/*' },
      );
      assert.equal(plain.status, 200, plain.text);
      assert.equal(plain.headers.get('content-type'), `${V2_2023};charset=utf-8`);
      // A single-version resource answers its one version to a later date.
      const read = await atlas.client.request('GET', `${v2()}/validate/${(plain.json() as { _id: string })._id}`, undefined, {
        accept: V2_2024,
      });
      assert.equal(read.headers.get('content-type'), `${V2_2023};charset=utf-8`);
      await settle(a);
    });

    it('refuses an Accept naming only dates before every version: 406 INVALID_VERSION_DATE', async () => {
      const response = await atlas.client.request('POST', `${v2()}/validate`, cliBody(a), {
        'content-type': V2_2024,
        accept: 'application/vnd.atlas.2022-01-01+json',
      });
      assertError(
        response,
        406,
        'INVALID_VERSION_DATE',
        'This resource has no version at or before 2022-01-01: it serves 2023-01-01, 2024-05-30. Ask for one of them in the Accept header as application/vnd.atlas.YYYY-MM-DD+json.',
      );
      const linkTokens = await atlas.client.request(
        'GET',
        `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/availableProjects`,
        undefined,
        {
          accept: 'application/vnd.atlas.2022-12-31+json',
        },
      );
      assertError(linkTokens, 406, 'INVALID_VERSION_DATE', /serves 2023-01-01\./);
      // A range that takes any JSON keeps the answer possible.
      const either = await atlas.client.request('GET', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/availableProjects`, undefined, {
        accept: 'application/vnd.atlas.2022-12-31+json, application/json;q=0.5',
      });
      assert.equal(either.status, 200);
      assert.equal(either.headers.get('content-type'), `${V2_2023};charset=utf-8`);
      const body = await atlas.client.request('POST', `${v2()}/validate`, cliBody(a), {
        'content-type': 'application/vnd.atlas.2022-01-01+json',
        accept: V2_2024,
      });
      assertError(body, 415, 'UNSUPPORTED_MEDIA_TYPE', 'The media type application/vnd.atlas.2022-01-01+json is not supported.');
      // v1.0 is plain JSON, whatever is asked for.
      const v1Read = await atlas.client.request('GET', `${v1()}/validate/${newObjectId(new Date())}`, undefined, {
        accept: 'application/vnd.atlas.2022-01-01+json',
      });
      assertError(v1Read, 404, 'LIVE_MIGRATION_VALIDATION_NOT_FOUND');
    });
  });

  describe('roles', () => {
    it('lets an Organization Member read a migration and nothing else; other keys get 401', async () => {
      const id = await createdId(a);
      const read = await member.request('GET', `${v2()}/${id}`);
      assert.equal(read.status, 200, read.text);
      assert.equal((await member.request('GET', `${v1()}/${id}`)).status, 200);
      for (const [method, path, body] of [
        ['POST', `${v2()}/validate`, cliBody(a)],
        ['POST', v2(), cliBody(a)],
        ['PUT', `${v2()}/${id}/cutover`, undefined],
        ['GET', `${v2()}/validate/${newObjectId(new Date())}`, undefined],
        ['POST', `${v1()}/validate`, cliBody(a)],
      ] as const) {
        assertError(
          await member.request(method, path, body, v2Headers()),
          401,
          'USER_UNAUTHORIZED',
          'Current user is not authorized to perform this action.',
        );
        assertError(await other.client.request(method, path, body, v2Headers()), 401, 'USER_UNAUTHORIZED');
        // The link-token's key may call the relay only.
        assertError(await link.request(method, path, body, v2Headers()), 401, 'USER_UNAUTHORIZED');
      }
      assertError(await other.client.request('GET', `${v2()}/${id}`), 401, 'USER_UNAUTHORIZED');
      assertError(await atlas.client.request('GET', jobPath(a)), 401, 'USER_UNAUTHORIZED');
      assertError(
        await member.request('PUT', `${relay(a)}/groups/${a.projectId}/migrationHosts/${HOST}/jobs/${id}`, progress('COPYING', null)),
        401,
        'USER_UNAUTHORIZED',
      );
      await fail(a, id);
    });
  });

  async function fail(source: SourceOrg, id: string): Promise<void> {
    const failed = await report(source, id, { ...progress('FAILED', null), errorMessage: 'Could not reach specified source' });
    assert.equal(failed.text, '{"cutoverRequested":false,"stop":true}');
  }

  describe('a migration', () => {
    before(() => settle(a));
    it('is created NEW, in the Atlas shape, with its event; pretty and envelope as everywhere', async () => {
      const response = await create(a);
      assert.equal(response.status, 201, response.text);
      assert.equal(response.headers.get('content-type'), `${V2_2024};charset=utf-8`);
      const { _id: id } = response.json() as { _id: string };
      assert.equal(
        response.text,
        JSON.stringify({ _id: id, lagTimeSeconds: null, migrationHosts: [HOST], readyForCutover: false, status: 'NEW' }),
      );
      const pretty = await atlas.client.request('GET', `${v2()}/${id}?pretty=true&envelope=true`);
      assert.equal(pretty.status, 200);
      assert.equal(pretty.headers.get('content-type'), `${V2_2023};charset=utf-8`);
      assert.equal(
        pretty.text,
        `{\n  "content" : {\n    "_id" : "${id}",\n    "lagTimeSeconds" : null,\n    "migrationHosts" : [ "${HOST}" ],\n    "readyForCutover" : false,\n    "status" : "NEW"\n  },\n  "status" : 200\n}`,
      );
      const created = (await events()).find(
        (event) => event.eventTypeName === 'LIVE_MIGRATION_CREATED' && event.details['liveMigrationId'] === id,
      );
      assert.deepEqual(created?.details, {
        destinationClusterName: 'dest',
        groupId,
        liveMigrationId: id,
        migrationHost: HOST,
        sourceClusterName: 'rs0',
        sourceGroupId: a.projectId,
        sourceOrgId: a.owner.orgId,
      });
      assertError(await atlas.client.request('GET', `${v2()}/${newObjectId(new Date())}`), 404, 'LIVE_MIGRATION_NOT_FOUND');
      // Under another project of the organization it does not exist.
      const elsewhere = (await server.livelink.services.organizations.createProject(atlas.orgId, 'Elsewhere')).id;
      assertError(
        await atlas.client.request('GET', `/api/atlas/v2/groups/${elsewhere}/liveMigrations/${id}`),
        404,
        'LIVE_MIGRATION_NOT_FOUND',
        `No live migration with ID ${id} exists in group ${elsewhere}.`,
      );
      await fail(a, id);
    });

    it('holds one slot per source organization and one per destination cluster: 409 LIVE_MIGRATION_IN_PROGRESS', async () => {
      const id = await createdId(a);
      assertError(
        await create(a, 'dest2'),
        409,
        'LIVE_MIGRATION_IN_PROGRESS',
        `Source organization ${a.owner.orgId} already has an active live migration, ${id}: migrate its deployments one at a time.`,
      );
      assertError(
        await create(b, 'dest'),
        409,
        'LIVE_MIGRATION_IN_PROGRESS',
        `Destination cluster dest already receives an active live migration, ${id}: one migration at a time per cluster.`,
      );
      // Another source into another cluster runs beside it.
      const parallel = await createdId(b, 'dest2');
      await fail(b, parallel);
      // A FAILED migration frees its slots at once.
      await fail(a, id);
      const again = await createdId(b, 'dest');
      await fail(b, again);
    });

    it('keeps the link while it is active: 409 on DELETE linkTokens, on the inventory DELETE, and relayed by the source', async () => {
      const id = await createdId(a);
      const detail = `Cannot delete organization link while there is active migration in following project ids: ${groupId}`;
      assertError(
        await atlas.client.request('DELETE', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`),
        409,
        'CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK',
        detail,
      );
      assertError(await link.request('DELETE', relay(a)), 409, 'CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK', detail);
      const disconnect = await a.owner.client.request('DELETE', `/api/public/v1.0/orgs/${a.owner.orgId}/liveExport/migrationLink`);
      assertError(disconnect, 409, 'CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK', detail);
      const status = await a.owner.client.request('GET', `/api/public/v1.0/orgs/${a.owner.orgId}/liveExport/migrationLink/status`);
      assert.equal(status.text, '{"status":"SYNCED"}');
      assert.equal((await heartbeat(a)).job?.['id'], id);
      await fail(a, id);
    });

    it('goes NEW → WORKING → readyForCutover → COMPLETE, with the measured lag, and a cutover that waits for the host', async () => {
      const id = await createdId(a);
      assertError(
        await atlas.client.request('PUT', `${v2()}/${id}/cutover`),
        400,
        'LIVE_MIGRATION_NOT_READY_FOR_CUTOVER',
        `Live migration ${id} is not ready for cutover (status NEW): wait until readyForCutover is true.`,
      );
      const { job } = await heartbeat(a);
      assert.equal(job?.['kind'], 'MIGRATION');
      assert.equal(job?.['id'], id);
      assert.equal((await report(a, id, progress('COPYING', null))).text, '{"cutoverRequested":false,"stop":false}');
      assert.deepEqual(await migration(id), {
        _id: id,
        lagTimeSeconds: null,
        migrationHosts: [HOST],
        readyForCutover: false,
        status: 'WORKING',
      });
      await report(a, id, progress('TAILING', 5.4));
      assert.deepEqual(await migration(id), {
        _id: id,
        lagTimeSeconds: 5,
        migrationHosts: [HOST],
        readyForCutover: false,
        status: 'WORKING',
      });
      assertError(
        await atlas.client.request('PUT', `${v2()}/${id}/cutover`),
        400,
        'LIVE_MIGRATION_NOT_READY_FOR_CUTOVER',
        /status WORKING/,
      );
      await report(a, id, progress('TAILING', 1.6));
      assert.deepEqual(await migration(id), {
        _id: id,
        lagTimeSeconds: 2,
        migrationHosts: [HOST],
        readyForCutover: true,
        status: 'WORKING',
      });

      // The host does not finish within the (shortened) wait: 202 all the same, and it is told to cut over.
      const started = Date.now();
      const cutover = await atlas.client.request('PUT', `${v2()}/${id}/cutover`, undefined, { accept: V2_2023 });
      assert.equal(cutover.status, 202, cutover.text);
      assert.equal(cutover.text, '');
      assert.equal(cutover.headers.get('content-type'), `${V2_2023};charset=utf-8`);
      assert.ok(Date.now() - started >= 1400, 'it waited for the host');
      assert.equal((await heartbeat(a)).job?.['cutoverRequested'], true);
      assert.equal((await report(a, id, progress('CUTTING_OVER', 0.2))).text, '{"cutoverRequested":true,"stop":false}');

      // Asked again (v1.0), it answers once the host reports COMPLETE.
      const v1Cutover = atlas.client.request('PUT', `${v1()}/${id}/cutover`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await report(a, id, progress('COMPLETE', 0))).text, '{"cutoverRequested":true,"stop":false}');
      const answered = await v1Cutover;
      assert.equal(answered.status, 200, answered.text);
      assert.equal(answered.headers.get('content-type'), 'application/json');
      assert.equal(answered.text, JSON.stringify({ _id: id, groupId, sourceGroupId: a.projectId, status: 'SUCCESS' }));
      assert.deepEqual(await migration(id), {
        _id: id,
        lagTimeSeconds: null,
        migrationHosts: [HOST],
        readyForCutover: false,
        status: 'COMPLETE',
      });
      assertError(
        await atlas.client.request('PUT', `${v2()}/${id}/cutover`),
        409,
        'LIVE_MIGRATION_NOT_ACTIVE',
        `Live migration ${id} is COMPLETE: there is nothing to cut over; start a new migration if needed.`,
      );
      const types = (await events()).filter((event) => event.details['liveMigrationId'] === id).map((event) => event.eventTypeName);
      assert.deepEqual(types, ['LIVE_MIGRATION_COMPLETED', 'LIVE_MIGRATION_CUTOVER_REQUESTED', 'LIVE_MIGRATION_CREATED']);
      assert.deepEqual(await heartbeat(a), { job: null });
      // The slots are free again.
      await fail(a, await createdId(a));
    });

    it('refuses a COMPLETE the user did not ask for', async () => {
      const id = await createdId(a);
      assertError(
        await report(a, id, progress('COMPLETE', 0)),
        400,
        'INVALID_ATTRIBUTE',
        `Invalid attribute phase specified: live migration ${id} was not asked to cut over.`,
      );
      await fail(a, id);
    });

    it("is FAILED on the host's report, with its reason in the GET and the organization's events", async () => {
      const id = await createdId(a);
      await report(a, id, progress('COPYING', null));
      await fail(a, id);
      assert.deepEqual(await migration(id), {
        _id: id,
        errorMessage: 'Could not reach specified source',
        lagTimeSeconds: null,
        migrationHosts: [HOST],
        readyForCutover: false,
        status: 'FAILED',
      });
      // The same final report again (the host's answer was lost): taken, and recorded once.
      await fail(a, id);
      const failedEvents = (await events()).filter(
        (event) => event.eventTypeName === 'LIVE_MIGRATION_FAILED' && event.details['liveMigrationId'] === id,
      );
      assert.equal(failedEvents.length, 1);
      assert.equal(failedEvents[0]?.details['reason'], 'Could not reach specified source');
      assertError(
        await atlas.client.request('PUT', `${v2()}/${id}/cutover`),
        409,
        'LIVE_MIGRATION_NOT_ACTIVE',
        /is FAILED \(Could not reach specified source\)/,
      );
      // The host knows (it said so): no stop job follows, and a late report is told to stop.
      assert.deepEqual(await heartbeat(a), { job: null });
      assert.equal((await report(a, id, progress('COPYING', null))).text, '{"cutoverRequested":false,"stop":true}');
    });

    it('is EXPIRED when ready for cutover and not cut over within the expiry, on the clock of the composition root', async () => {
      const id = await createdId(a);
      await readyForCutover(a, id);
      clockMs += 119 * 3_600_000;
      assert.equal((await migration(id))['status'], 'WORKING');
      clockMs += 2 * 3_600_000;
      assert.deepEqual(await migration(id), {
        _id: id,
        errorMessage: 'It was ready for cutover for 120 hours without being cut over.',
        lagTimeSeconds: null,
        migrationHosts: [HOST],
        readyForCutover: false,
        status: 'EXPIRED',
      });
      const expired = (await events()).find(
        (event) => event.eventTypeName === 'LIVE_MIGRATION_EXPIRED' && event.details['liveMigrationId'] === id,
      );
      assert.equal(expired?.details['reason'], 'It was ready for cutover for 120 hours without being cut over.');
      // The host is told to stop, once.
      const { job } = await heartbeat(a);
      assert.equal(job?.['id'], id);
      assert.equal(job?.['stop'], true);
      assert.deepEqual(await heartbeat(a), { job: null });
      assertError(await atlas.client.request('PUT', `${v2()}/${id}/cutover`), 409, 'LIVE_MIGRATION_NOT_ACTIVE', /is EXPIRED/);
      // Its slot is free.
      await fail(a, await createdId(a));
    });
  });

  describe('the relay', () => {
    it('refuses a job of another source organization, an unknown job and a report of the wrong kind', async () => {
      const id = await createdId(a);
      assertError(
        await report(b, id, progress('COPYING', null)),
        404,
        'LIVE_MIGRATION_NOT_FOUND',
        `No live migration or validation with ID ${id} exists for source organization ${b.owner.orgId}.`,
      );
      assertError(await report(a, newObjectId(new Date()), progress('COPYING', null)), 404, 'LIVE_MIGRATION_NOT_FOUND');
      assertError(
        await report(a, id, { kind: 'VALIDATION', status: 'SUCCESS' }),
        400,
        'INVALID_ATTRIBUTE',
        `Invalid attribute kind specified: job ${id} is a MIGRATION.`,
      );
      assertError(await report(a, id, { kind: 'MIGRATION', phase: 'COPYING' }), 400, 'INVALID_ATTRIBUTE');
      // Another host of the project has no job, and may not report on this one; nor may a host of another project.
      assert.deepEqual((await link.request('GET', jobPath(a, 'mh2.example.com'))).json(), { job: null });
      assertError(await report(a, id, progress('COPYING', null), { hostname: 'mh2.example.com' }), 404, 'LIVE_MIGRATION_NOT_FOUND');
      assertError(await report(a, id, progress('COPYING', null), { projectId: newObjectId(new Date()) }), 404, 'LIVE_MIGRATION_NOT_FOUND');
      assert.equal((await migration(id))['status'], 'NEW', 'the refused reports changed nothing');
      // A source organization that never linked may not ask.
      const stranger = newObjectId(new Date());
      assertError(
        await link.request(
          'GET',
          `/api/atlas/v1.0/orgs/${atlas.orgId}/liveMigrations/sourceOrganizations/${stranger}/groups/${a.projectId}/migrationHosts/${HOST}/job`,
        ),
        401,
        'USER_UNAUTHORIZED',
      );
      assertError(await link.request('GET', `${relay(a)}/groups/nope/migrationHosts/${HOST}/job`), 400, 'INVALID_GROUP_ID');
      await fail(a, id);
    });
  });

  describe('rehearsal faults (the service the control API calls)', () => {
    const faults = () => server.livelink.services.liveMigrations;
    const rejects = (work: Promise<unknown>, status: number, errorCode: string) =>
      assert.rejects(work, (error: { status?: number; errorCode?: string }) => error.status === status && error.errorCode === errorCode);
    const failedEvents = async (id: string) =>
      (await events()).filter((event) => event.eventTypeName === 'LIVE_MIGRATION_FAILED' && event.details['liveMigrationId'] === id);

    it('refuses an unknown id with 404 and an ended migration with 409, whatever its project', async () => {
      const unknown = newObjectId(new Date());
      await rejects(faults().failAtPhase(unknown, 'COPY', 'x'), 404, 'LIVE_MIGRATION_NOT_FOUND');
      await rejects(faults().holdLag(unknown, 30), 404, 'LIVE_MIGRATION_NOT_FOUND');
      await rejects(faults().makeReadyForCutover(unknown), 404, 'LIVE_MIGRATION_NOT_FOUND');
      await rejects(faults().expireNow(unknown), 404, 'LIVE_MIGRATION_NOT_FOUND');
      const id = await createdId(a);
      await fail(a, id);
      await rejects(faults().failAtPhase(id, 'TAIL', 'x'), 409, 'LIVE_MIGRATION_NOT_ACTIVE');
      await rejects(faults().holdLag(id, 30), 409, 'LIVE_MIGRATION_NOT_ACTIVE');
      await rejects(faults().makeReadyForCutover(id), 409, 'LIVE_MIGRATION_NOT_ACTIVE');
      await rejects(faults().expireNow(id), 409, 'LIVE_MIGRATION_NOT_ACTIVE');
    });

    it('fails a migration when the host reports the phase, as a real failure, and at once when it is in it', async () => {
      const id = await createdId(a);
      const fault = await faults().failAtPhase(id, 'TAIL', 'The oplog rolled over (rehearsal)');
      assert.deepEqual(fault, {
        liveMigrationId: id,
        kind: 'FAIL_AT_PHASE',
        phase: 'TAIL',
        reason: 'The oplog rolled over (rehearsal)',
        createdAt: fault.createdAt,
      });
      assert.deepEqual(await faults().listFaults(), [fault]);
      assert.equal((await report(a, id, progress('COPYING', null))).text, '{"cutoverRequested":false,"stop":false}');
      assert.equal((await report(a, id, progress('TAILING', 5))).text, '{"cutoverRequested":false,"stop":true}');
      assert.deepEqual(await migration(id), {
        _id: id,
        errorMessage: 'The oplog rolled over (rehearsal)',
        lagTimeSeconds: null,
        migrationHosts: [HOST],
        readyForCutover: false,
        status: 'FAILED',
      });
      assert.equal((await failedEvents(id))[0]?.details['reason'], 'The oplog rolled over (rehearsal)');
      assert.deepEqual(await faults().listFaults(), [], 'a fault that fired is gone with its migration');
      // The host is told to stop once, and the slots are free.
      assert.equal((await heartbeat(a)).job?.['stop'], true);

      const copying = await createdId(a);
      await report(a, copying, progress('COPYING', null));
      await faults().failAtPhase(copying, 'COPY', 'Disk full (rehearsal)');
      assert.equal((await migration(copying))['status'], 'FAILED');
      assert.equal((await migration(copying))['errorMessage'], 'Disk full (rehearsal)');
      const job = (await heartbeat(a)).job;
      assert.deepEqual([job?.['id'], job?.['stop']], [copying, true]);
      assert.equal((await failedEvents(copying)).length, 1);
    });

    it('fails at cutover: the cutover is refused with the reason, and the migration is FAILED', async () => {
      const id = await createdId(a);
      await readyForCutover(a, id);
      await faults().failAtPhase(id, 'CUTOVER', 'Writes still arrive (rehearsal)');
      assertError(
        await atlas.client.request('PUT', `${v2()}/${id}/cutover`),
        409,
        'LIVE_MIGRATION_NOT_ACTIVE',
        /is FAILED \(Writes still arrive \(rehearsal\)\)/,
      );
      assert.equal((await migration(id))['errorMessage'], 'Writes still arrive (rehearsal)');
      assert.equal((await heartbeat(a)).job?.['stop'], true);
    });

    it('holds the lag until cleared, readyForCutover following it, then shows the measured one again', async () => {
      const id = await createdId(a);
      await readyForCutover(a, id);
      const held = await faults().holdLag(id, 30);
      assert.deepEqual(held, { liveMigrationId: id, kind: 'HOLD_LAG', lagSeconds: 30, createdAt: held.createdAt });
      assert.deepEqual(await migration(id), {
        _id: id,
        lagTimeSeconds: 30,
        migrationHosts: [HOST],
        readyForCutover: false,
        status: 'WORKING',
      });
      assertError(await atlas.client.request('PUT', `${v2()}/${id}/cutover`), 400, 'LIVE_MIGRATION_NOT_READY_FOR_CUTOVER');
      // The host's reports go on: they are stored, and the held lag still shows.
      await report(a, id, progress('TAILING', 0.2, true));
      assert.equal((await migration(id))['lagTimeSeconds'], 30);
      assert.deepEqual(await faults().listFaults(), [held]);
      assert.equal(await faults().clearFaults(), 1);
      assert.deepEqual(await migration(id), {
        _id: id,
        lagTimeSeconds: 0,
        migrationHosts: [HOST],
        readyForCutover: true,
        status: 'WORKING',
      });
      assert.equal(await faults().clearFaults(), 0);
      await fail(a, id);
    });

    it('makes a migration ready for cutover now, releasing a held lag', async () => {
      const id = await createdId(a);
      await faults().holdLag(id, 12);
      await faults().makeReadyForCutover(id);
      assert.deepEqual(await migration(id), {
        _id: id,
        lagTimeSeconds: null,
        migrationHosts: [HOST],
        readyForCutover: true,
        status: 'WORKING',
      });
      assert.deepEqual(await faults().listFaults(), []);
      // The cutover is asked of the host, which has not reported: the wait runs out, the migration goes on.
      const cutover = await atlas.client.request('PUT', `${v1()}/${id}/cutover`);
      assert.equal(cutover.status, 200, cutover.text);
      assert.equal((cutover.json() as { status: string }).status, 'PENDING');
      const failed = await report(a, id, { ...progress('FAILED', null), errorMessage: 'Could not reach specified source' });
      assert.equal(failed.text, '{"cutoverRequested":true,"stop":true}');
    });

    it('expires a migration now, as the expiry would: EXPIRED, its event, the host told to stop, the slots free', async () => {
      const id = await createdId(a);
      await report(a, id, progress('COPYING', null));
      await faults().holdLag(id, 3);
      await faults().expireNow(id);
      // Never ready for cutover: the timer's wording would be false of it.
      assert.deepEqual(await migration(id), {
        _id: id,
        errorMessage: 'It was expired by the rehearsal control before it was ready for cutover.',
        lagTimeSeconds: null,
        migrationHosts: [HOST],
        readyForCutover: false,
        status: 'EXPIRED',
      });
      assert.ok(
        (await events()).some((event) => event.eventTypeName === 'LIVE_MIGRATION_EXPIRED' && event.details['liveMigrationId'] === id),
      );
      assert.deepEqual(await faults().listFaults(), []);
      assert.equal((await heartbeat(a)).job?.['stop'], true);
      assert.equal((await report(a, id, progress('COPYING', null))).text, '{"cutoverRequested":false,"stop":true}');
      await fail(a, await createdId(a));
    });

    it("expires a migration that is ready for cutover with the expiry's own reason", async () => {
      const id = await createdId(a);
      await readyForCutover(a, id);
      await faults().expireNow(id);
      const expired = await migration(id);
      assert.equal(expired['status'], 'EXPIRED');
      assert.equal(expired['errorMessage'], 'It was ready for cutover for 120 hours without being cut over.');
    });
  });

  describe('v1.0', () => {
    it('takes dropEnabled (required) and application/json, answers 200 and 201 with the same shapes', async () => {
      const { dropDestinationData: _drop, ...rest } = cliBody(a);
      const { hostnameSchemaType: _type, ...destination } = rest.destination;
      const body = { ...rest, destination, dropEnabled: false };
      await heartbeat(a);
      const validated = await atlas.client.request('POST', `${v1()}/validate`, body);
      assert.equal(validated.status, 200, validated.text);
      assert.equal(validated.headers.get('content-type'), 'application/json');
      assert.equal((validated.json() as { status: string }).status, 'PENDING');
      assertError(
        await atlas.client.request('POST', `${v1()}/validate`, { ...body, destination: rest.destination }),
        400,
        'INVALID_ATTRIBUTE',
        'Invalid attribute destination.hostnameSchemaType specified.',
      );
      assertError(
        await atlas.client.request('POST', `${v1()}/validate`, { ...body, dropEnabled: undefined }),
        400,
        'MISSING_ATTRIBUTE',
        'The required attribute dropEnabled was not specified.',
      );
      await report(a, (validated.json() as { _id: string })._id, { kind: 'VALIDATION', status: 'SUCCESS' });

      const created = await atlas.client.request('POST', v1(), body);
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers.get('content-type'), 'application/json');
      const { _id: id } = created.json() as { _id: string };
      assert.equal(
        created.text,
        JSON.stringify({ _id: id, lagTimeSeconds: null, migrationHosts: [HOST], readyForCutover: false, status: 'NEW' }),
      );
      const read = await atlas.client.request('GET', `${v1()}/${id}`);
      assert.equal(read.headers.get('content-type'), 'application/json');
      assert.equal(read.text, created.text);
      assertError(await atlas.client.request('PUT', `${v1()}/${id}/cutover`), 400, 'LIVE_MIGRATION_NOT_READY_FOR_CUTOVER');
      await fail(a, id);
    });
  });

  describe('the OpenAPI document', () => {
    it('lists both versions of the create body and answer, and the v2 statuses', () => {
      const document = server.livelink.openApiDocument() as {
        paths: Record<
          string,
          Record<
            string,
            { requestBody?: { content: Record<string, unknown> }; responses: Record<string, { content?: Record<string, unknown> }> }
          >
        >;
      };
      const create = document.paths['/api/atlas/v2/groups/{groupId}/liveMigrations']?.['post'];
      assert.deepEqual(Object.keys(create?.requestBody?.content ?? {}), [V2_2023, V2_2024]);
      assert.deepEqual(Object.keys(create?.responses['201']?.content ?? {}), [V2_2023, V2_2024]);
      assert.ok(document.paths['/api/atlas/v2/groups/{groupId}/liveMigrations/validate']?.['post']?.responses['200']);
      assert.ok(document.paths['/api/atlas/v2/groups/{groupId}/liveMigrations/{liveMigrationId}/cutover']?.['put']?.responses['202']);
      assert.ok(document.paths['/api/atlas/v1.0/groups/{groupId}/liveMigrations/{liveMigrationId}/cutover']?.['put']?.responses['200']);
    });
  });
});
