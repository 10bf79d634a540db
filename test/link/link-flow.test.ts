/**
 * The link end to end between a source and a target livelink (two servers, real HTTP between them),
 * and every error path of POST/DELETE/GET status.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';
import { waitFor } from '../support/wait-for.js';

const linkPath = (orgId: string) => `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`;
const tokensPath = (orgId: string) => `/api/atlas/v2/orgs/${orgId}/liveMigrations/linkTokens`;
const projectsPath = (orgId: string) => `/api/atlas/v2/orgs/${orgId}/liveMigrations/availableProjects`;

async function createToken(owner: OrgWithKey, accessListIps: string[] = []): Promise<string> {
  const response = await owner.client.request('POST', tokensPath(owner.orgId), { accessListIps });
  assert.equal(response.status, 201, response.text);
  return (response.json() as { linkToken: string }).linkToken;
}

describe('linking a source organization with a target organization', () => {
  let target: RunningLivelink;
  let source: RunningLivelink;
  let atlas: OrgWithKey;
  let opsManager: OrgWithKey;
  let projectId: string;
  let deploymentId: string;
  let linkedToken: string;

  before(async () => {
    target = await startLivelink({ role: 'target' });
    source = await startLivelink({ role: 'source', 'target-url': target.url, 'sync-interval': '1' });
    atlas = await target.organizationWithKey('Atlas Org');
    opsManager = await source.organizationWithKey('Ops Manager Org');
    const organizations = source.livelink.services.organizations;
    projectId = (await organizations.createProject(opsManager.orgId, 'Project A')).id;
    deploymentId = (
      await organizations.createDeployment(projectId, {
        name: 'rs0',
        mongoDBVersion: '5.0.14',
        featureCompatibilityVersion: '5.0',
        managed: true,
        sharded: false,
        shardsSize: null,
        tlsEnabled: false,
        agentVersion: '12.0.11.7606',
        dbSizeBytes: 123456,
        oplogSizeMB: 1024,
      })
    ).id;
    await organizations.addMigrationHost(projectId, 'mh1.example.com');
  });
  after(async () => {
    await source.close();
    await target.close();
  });

  it('issues a link-token in the format real Atlas emits', async () => {
    const response = await atlas.client.request(
      'POST',
      tokensPath(atlas.orgId),
      { accessListIps: [] },
      { accept: 'application/vnd.atlas.2023-01-01+json' },
    );
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('content-type'), 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    const { linkToken } = response.json() as { linkToken: string };
    assert.match(linkToken, /^[A-Za-z0-9+/]+={0,2}$/);
    const decoded = Buffer.from(linkToken, 'base64').toString('utf8');
    assert.match(decoded, /^\{"orgId":"[a-f0-9]{24}","orgName":"Atlas Org","privateApiKey":"[0-9a-f-]{36}","publicApiKey":"[a-z]{8}"\}$/);
    assert.equal(JSON.parse(decoded).orgId, atlas.orgId);
    assert.equal(Object.keys(response.json() as object).join(), 'linkToken');
  });

  it('links, reports SYNCED, and the target lists the source projects in the AvailableProject shape', async () => {
    linkedToken = await createToken(atlas);
    const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: linkedToken });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.text, '{"status":"SYNCED"}');
    assert.equal(response.headers.get('content-type'), 'application/json');

    const status = await opsManager.client.request('GET', `${linkPath(opsManager.orgId)}/status`);
    assert.equal(status.text, '{"status":"SYNCED"}');

    const projects = await atlas.client.request('GET', projectsPath(atlas.orgId));
    assert.equal(projects.status, 200);
    assert.deepEqual(projects.json(), [
      {
        deployments: [
          {
            agentVersion: '12.0.11.7606',
            clusterId: deploymentId,
            dbSizeBytes: 123456,
            featureCompatibilityVersion: '5.0',
            managed: true,
            mongoDBVersion: '5.0.14',
            name: 'rs0',
            oplogSizeMB: 1024,
            sharded: false,
            tlsEnabled: false,
          },
        ],
        migrationHosts: ['mh1.example.com'],
        name: 'Project A',
        projectId,
      },
    ]);
  });

  it('re-syncs and answers 201 when the same token is posted again', async () => {
    const before = await source.livelink.services.migrationLinks.describe(opsManager.orgId);
    const again = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: linkedToken });
    assert.equal(again.status, 201, again.text);
    assert.equal(again.text, '{"status":"SYNCED"}');
    const after = await source.livelink.services.migrationLinks.describe(opsManager.orgId);
    assert.equal(after?.createdAt, before?.createdAt);
    assert.notEqual(after?.lastAttemptAt, null);
  });

  it('refuses a different token while linked with 409 and keeps the link', async () => {
    const other = await createToken(atlas);
    const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: other });
    assert.equal(response.status, 409);
    assert.equal((response.json() as { errorCode: string }).errorCode, 'ORG_LINK_ALREADY_EXISTS');
    assert.equal((await opsManager.client.request('GET', `${linkPath(opsManager.orgId)}/status`)).text, '{"status":"SYNCED"}');
  });

  it('pushes again when a deployment changes, and the target shows the change', async () => {
    await source.livelink.services.organizations.updateDeployment(deploymentId, {
      mongoDBVersion: '6.0.8',
      featureCompatibilityVersion: '6.0',
    });
    await waitFor(async () => {
      const projects = (await atlas.client.request('GET', projectsPath(atlas.orgId))).json() as {
        deployments: { mongoDBVersion: string }[];
      }[];
      return projects[0]?.deployments[0]?.mongoDBVersion === '6.0.8';
    }, 'the target to show MongoDB 6.0.8');
  });

  it('turns NOT_SYNCED at the next sync once the target revokes its tokens, keeping the error', async () => {
    const revoked = await atlas.client.request('DELETE', tokensPath(atlas.orgId));
    assert.equal(revoked.status, 204);
    assert.equal(revoked.text, '');
    assert.deepEqual((await atlas.client.request('GET', projectsPath(atlas.orgId))).json(), []);
    await waitFor(
      async () => (await opsManager.client.request('GET', `${linkPath(opsManager.orgId)}/status`)).text === '{"status":"NOT_SYNCED"}',
      'the source status to become NOT_SYNCED',
    );
    const link = await source.livelink.services.migrationLinks.describe(opsManager.orgId);
    assert.match(link?.lastError ?? '', /refused the link-token/);
  });

  it('answers 404 when the target has no link-token to delete', async () => {
    const response = await atlas.client.request('DELETE', tokensPath(atlas.orgId));
    assert.equal(response.status, 404);
    assert.equal(
      response.text,
      '{"detail":"Could not find the requested external organization link.","error":404,"errorCode":"UNEXPECTED_ERROR","parameters":[],"reason":"Not Found"}',
    );
  });

  it('deletes the link (204), then reports NOT_SYNCED, and a second DELETE is 404', async () => {
    const deleted = await opsManager.client.request('DELETE', linkPath(opsManager.orgId));
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal((await opsManager.client.request('GET', `${linkPath(opsManager.orgId)}/status`)).text, '{"status":"NOT_SYNCED"}');
    const again = await opsManager.client.request('DELETE', linkPath(opsManager.orgId));
    assert.equal(again.status, 404);
    assert.equal((again.json() as { errorCode: string }).errorCode, 'ORG_LINK_NOT_FOUND');
  });

  it('tells the target when the source disconnects', async () => {
    const token = await createToken(atlas);
    assert.equal((await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: token })).status, 201);
    assert.equal(((await atlas.client.request('GET', projectsPath(atlas.orgId))).json() as unknown[]).length, 1);
    assert.equal((await opsManager.client.request('DELETE', linkPath(opsManager.orgId))).status, 204);
    assert.deepEqual((await atlas.client.request('GET', projectsPath(atlas.orgId))).json(), []);
  });

  it('refuses a token whose key the target does not know with 400 and stores nothing', async () => {
    const forged = Buffer.from(
      JSON.stringify({
        orgId: atlas.orgId,
        orgName: 'Atlas Org',
        privateApiKey: '11111111-2222-4333-8444-555555555555',
        publicApiKey: 'abcdefgh',
      }),
    ).toString('base64');
    const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: forged });
    assert.equal(response.status, 400);
    assert.equal((response.json() as { errorCode: string }).errorCode, 'LINK_TOKEN_REJECTED');
    assert.equal(await source.livelink.services.migrationLinks.describe(opsManager.orgId), undefined);
  });

  it("refuses a token whose access list excludes the source's address", async () => {
    const token = await createToken(atlas, ['198.51.100.7/32']);
    const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: token });
    assert.equal(response.status, 400);
    const body = response.json() as { errorCode: string; detail: string };
    assert.equal(body.errorCode, 'LINK_TOKEN_REJECTED');
    assert.match(body.detail, /IP_ADDRESS_NOT_ON_ACCESS_LIST/);
    assert.equal(await source.livelink.services.migrationLinks.describe(opsManager.orgId), undefined);
  });

  it('accepts a token pasted with surrounding whitespace', async () => {
    const token = await createToken(atlas, ['127.0.0.1']);
    const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: `  ${token}\n` });
    assert.equal(response.status, 201, response.text);
    assert.equal((await opsManager.client.request('DELETE', linkPath(opsManager.orgId))).status, 204);
  });

  describe('malformed tokens get a 400 that says what is wrong, and nothing is stored', () => {
    const encode = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
    const good = { orgId: 'a'.repeat(24), orgName: 'X', privateApiKey: '11111111-2222-4333-8444-555555555555', publicApiKey: 'abcdefgh' };
    const cases: [string, string, RegExp][] = [
      ['empty', '', /is empty/],
      ['not base64', 'not base64!', /not base64/],
      ['base64 of text', encode('hello'), /does not decode to JSON/],
      ['an array', encode([1]), /not hold a JSON object/],
      ['a missing field', encode({ ...good, publicApiKey: undefined }), /has no publicApiKey/],
      ['an extra field', encode({ ...good, url: 'https://evil.example' }), /unexpected field "url"/],
      ['a number for a string', encode({ ...good, orgId: 5 }), /orgId is not a string/],
      ['a bad org id', encode({ ...good, orgId: 'xyz' }), /orgId is not a 24-hex-digit/],
      ['oversized', 'A'.repeat(4000), /longer than 2048/],
    ];
    for (const [name, token, detail] of cases) {
      it(name, async () => {
        const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: token });
        assert.equal(response.status, 400);
        const body = response.json() as { errorCode: string; detail: string; parameters: string[] };
        assert.equal(body.errorCode, 'INVALID_ATTRIBUTE');
        assert.deepEqual(body.parameters, ['linkToken']);
        assert.match(body.detail, detail);
        assert.equal(await source.livelink.services.migrationLinks.describe(opsManager.orgId), undefined);
      });
    }
  });

  it('ends two concurrent POSTs for one organization with exactly one link', async () => {
    const token = await createToken(atlas);
    const a = source.client(opsManager.publicKey, opsManager.privateKey);
    const b = source.client(opsManager.publicKey, opsManager.privateKey);
    const statuses = (
      await Promise.all([
        a.request('POST', linkPath(opsManager.orgId), { linkToken: token }),
        b.request('POST', linkPath(opsManager.orgId), { linkToken: token }),
      ])
    ).map((r) => r.status);
    assert.ok(statuses.includes(201), String(statuses));
    assert.ok(
      statuses.every((s) => s === 201 || s === 409),
      String(statuses),
    );
    const rows = await source.livelink.database.db
      .selectFrom('migration_links')
      .selectAll()
      .where('org_id', '=', opsManager.orgId)
      .execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.state, 'LINKED');
    assert.equal((await opsManager.client.request('DELETE', linkPath(opsManager.orgId))).status, 204);
  });

  it('answers the /api/atlas/v1.0 alias of the reference example exactly like /api/public/v1.0', async () => {
    const token = await createToken(atlas);
    const response = await opsManager.client.request('POST', `/api/atlas/v1.0/orgs/${opsManager.orgId}/liveExport/migrationLink`, {
      linkToken: token,
    });
    assert.equal(response.status, 201);
    assert.equal(response.text, '{"status":"SYNCED"}');
    assert.equal(
      (await opsManager.client.request('GET', `/api/atlas/v1.0/orgs/${opsManager.orgId}/liveExport/migrationLink/status`)).text,
      '{"status":"SYNCED"}',
    );
    assert.equal(
      (await opsManager.client.request('DELETE', `/api/atlas/v1.0/orgs/${opsManager.orgId}/liveExport/migrationLink`)).status,
      204,
    );
  });

  it('answers the status in every wire shape, the same bytes each time it is asked, SYNCED then NOT_SYNCED', async () => {
    const statusPath = `${linkPath(opsManager.orgId)}/status`;
    const shapes = async (status: string) => {
      for (const [query, expected] of [
        ['', `{"status":"${status}"}`],
        ['?pretty=true', `{\n  "status" : "${status}"\n}`],
        ['?envelope=true', `{"content":{"status":"${status}"},"status":200}`],
        ['?pretty=true&envelope=true', `{\n  "content" : {\n    "status" : "${status}"\n  },\n  "status" : 200\n}`],
      ] as const) {
        for (const time of ['first', 'second']) {
          const answer = await opsManager.client.request('GET', `${statusPath}${query}`);
          assert.deepEqual([answer.status, answer.text], [200, expected], `${query} asked a ${time} time`);
        }
      }
    };
    await shapes('NOT_SYNCED');
    assert.equal(
      (await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: await createToken(atlas) })).status,
      201,
    );
    await shapes('SYNCED');
    assert.equal((await opsManager.client.request('DELETE', linkPath(opsManager.orgId))).status, 204);
    await shapes('NOT_SYNCED');
  });

  it('keeps the link and its token out of every answer but the token creation', async () => {
    const token = await createToken(atlas);
    const privateKey = JSON.parse(Buffer.from(token, 'base64').toString()).privateApiKey as string;
    const answers = [
      await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: token }),
      await opsManager.client.request('GET', `${linkPath(opsManager.orgId)}/status?pretty=true`),
      await atlas.client.request('GET', projectsPath(atlas.orgId)),
      await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: `${token.slice(0, -4)}AAAA` }),
    ];
    for (const answer of answers) {
      assert.ok(!answer.text.includes(token) && !answer.text.includes(privateKey), answer.text);
    }
    assert.equal((await opsManager.client.request('DELETE', linkPath(opsManager.orgId))).status, 204);
  });

  it('lets only an Organization Owner create or delete a link-token', async () => {
    const member = await target.organizationWithKey('Member Org', ['ORG_MEMBER']);
    assert.equal((await member.client.request('POST', tokensPath(member.orgId), {})).status, 401);
    assert.equal((await member.client.request('DELETE', tokensPath(member.orgId))).status, 401);
    assert.equal((await member.client.request('GET', projectsPath(member.orgId))).status, 401);
  });

  it('accepts accessListIps absent, null or empty, and refuses an invalid entry naming it', async () => {
    for (const body of [undefined, {}, { accessListIps: null }, { accessListIps: [] }, { accessListIps: ['10.0.0.0/8', '2001:db8::1'] }]) {
      const response = await atlas.client.request('POST', tokensPath(atlas.orgId), body);
      assert.equal(response.status, 201, JSON.stringify(body));
    }
    const bad = await atlas.client.request('POST', tokensPath(atlas.orgId), { accessListIps: ['10.0.0.1', '300.1.1.1'] });
    assert.equal(bad.status, 400);
    assert.equal(
      (bad.json() as { detail: string }).detail,
      'Invalid attribute accessList specified: "300.1.1.1" is not an IP address or CIDR block.',
    );
  });

  it('records every change as an event, readable and never writable through the API', async () => {
    const events = async (owner: OrgWithKey) => {
      const response = await owner.client.request('GET', `/api/public/v1.0/orgs/${owner.orgId}/events?itemsPerPage=500`);
      assert.equal(response.status, 200);
      return new Set((response.json() as { results: { eventTypeName: string }[] }).results.map((e) => e.eventTypeName));
    };
    assert.deepEqual([...(await events(opsManager))].sort(), [
      'API_KEY_CREATED',
      'ORG_LINK_CREATED',
      'ORG_LINK_DELETED',
      'ORG_LINK_FAILED',
    ]);
    assert.deepEqual([...(await events(atlas))].sort(), ['API_KEY_CREATED', 'API_KEY_DELETED', 'LINK_TOKEN_ISSUED', 'LINK_TOKEN_REVOKED']);
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const response = await opsManager.client.request(
        method,
        `/api/public/v1.0/orgs/${opsManager.orgId}/events`,
        method === 'DELETE' ? undefined : {},
      );
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.get('allow'), 'GET, HEAD');
    }
  });

  it('does not let a link-token key call anything but the inventory endpoint', async () => {
    const token = await createToken(atlas);
    const { publicApiKey, privateApiKey } = JSON.parse(Buffer.from(token, 'base64').toString()) as Record<string, string>;
    const linkKey = target.client(publicApiKey as string, privateApiKey as string);
    assert.equal((await linkKey.request('GET', projectsPath(atlas.orgId))).status, 401);
    assert.equal((await linkKey.request('POST', tokensPath(atlas.orgId), {})).status, 401);
    assert.equal((await linkKey.request('GET', `/api/public/v1.0/orgs/${atlas.orgId}`)).status, 401);
  });
});

describe('a target that cannot be reached, is slow or answers garbage', () => {
  let source: RunningLivelink;
  let opsManager: OrgWithKey;
  let fault: Server;
  let mode: 'hang' | 'garbage' | 'huge' = 'hang';
  const token = Buffer.from(
    JSON.stringify({
      orgId: 'b'.repeat(24),
      orgName: 'Atlas',
      privateApiKey: '11111111-2222-4333-8444-555555555555',
      publicApiKey: 'abcdefgh',
    }),
  ).toString('base64');

  before(async () => {
    // A misbehaving HTTP peer: the failures a real network gives, which no real target produces on demand.
    fault = createServer((request, response) => {
      request.resume();
      if (mode === 'hang') return;
      if (mode === 'garbage') {
        response.writeHead(500, { 'content-type': 'text/html' }).end('<html>oops</html>');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!response.write(chunk)) return response.once('drain', pump);
        }
        response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => fault.listen(0, '127.0.0.1', resolve));
    const port = (fault.address() as AddressInfo).port;
    source = await startLivelink({ role: 'source', 'target-url': `http://127.0.0.1:${port}` }, { LIVELINK_OUTBOUND_TIMEOUT: '1' });
    opsManager = await source.organizationWithKey('Ops Manager Org');
  });
  after(async () => {
    await source.close();
    fault.closeAllConnections();
    await new Promise((resolve) => fault.close(resolve));
  });

  it('answers 504 TARGET_TIMEOUT when the target does not answer, and stores nothing', async () => {
    mode = 'hang';
    const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: token });
    assert.equal(response.status, 504);
    assert.equal((response.json() as { errorCode: string }).errorCode, 'TARGET_TIMEOUT');
    assert.equal(await source.livelink.services.migrationLinks.describe(opsManager.orgId), undefined);
  });

  it('answers 502 TARGET_BAD_RESPONSE for a 500 page', async () => {
    mode = 'garbage';
    const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: token });
    assert.equal(response.status, 502);
    assert.equal((response.json() as { errorCode: string }).errorCode, 'TARGET_BAD_RESPONSE');
    assert.equal(await source.livelink.services.migrationLinks.describe(opsManager.orgId), undefined);
  });

  it('stops reading an oversized answer at the cap and answers 502', async () => {
    mode = 'huge';
    const response = await opsManager.client.request('POST', linkPath(opsManager.orgId), { linkToken: token });
    assert.equal(response.status, 502);
    assert.equal(await source.livelink.services.migrationLinks.describe(opsManager.orgId), undefined);
  });

  it('answers 503 TARGET_UNREACHABLE when nothing listens at the target URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const lonely = await startLivelink({ role: 'source', 'target-url': `http://127.0.0.1:${port}` });
    try {
      const org = await lonely.organizationWithKey('Lonely Org');
      const response = await org.client.request('POST', linkPath(org.orgId), { linkToken: token });
      assert.equal(response.status, 503);
      const body = response.json() as { errorCode: string; detail: string };
      assert.equal(body.errorCode, 'TARGET_UNREACHABLE');
      assert.equal(body.detail, `The Atlas API at http://127.0.0.1:${port} could not be reached: the connection was refused.`);
      assert.equal(await lonely.livelink.services.migrationLinks.describe(org.orgId), undefined);
    } finally {
      await lonely.close();
    }
  });
});

describe('a claim left by a request that died (R-07)', () => {
  it('is taken over by the next POST once stale, and reconciled by the sync loop', async () => {
    const target = await startLivelink({ role: 'target' });
    const source = await startLivelink({ role: 'source', 'target-url': target.url });
    try {
      const atlas = await target.organizationWithKey('Atlas Org');
      const ops = await source.organizationWithKey('Ops Org');
      const other = await source.organizationWithKey('Other Ops Org');
      const linkToken = await createToken(atlas);
      const db = source.livelink.database.db;
      const claim = (orgId: string, claimedAt: string) =>
        db
          .insertInto('migration_links')
          .values({
            org_id: orgId,
            state: 'PENDING',
            link_token: 'sealed',
            token_digest: 'x',
            target_org_id: atlas.orgId,
            target_org_name: 'Atlas Org',
            status: 'NOT_SYNCED',
            created_at: claimedAt,
            claimed_at: claimedAt,
            last_synced_at: null,
            last_attempt_at: null,
            last_error: null,
            synced_inventory_version: -1,
          })
          .execute();
      const path = `/api/public/v1.0/orgs/${ops.orgId}/liveExport/migrationLink`;
      await claim(ops.orgId, new Date().toISOString());
      const fresh = await ops.client.request('POST', path, { linkToken });
      assert.equal(fresh.status, 409);
      assert.equal((fresh.json() as { errorCode: string }).errorCode, 'ORG_LINK_IN_PROGRESS');
      assert.equal((await ops.client.request('GET', `${path}/status`)).text, '{"status":"NOT_SYNCED"}');

      await db
        .updateTable('migration_links')
        .set({ claimed_at: new Date(Date.now() - 61_000).toISOString() })
        .where('org_id', '=', ops.orgId)
        .execute();
      assert.equal((await ops.client.request('POST', path, { linkToken })).status, 201);

      await claim(other.orgId, new Date(Date.now() - 61_000).toISOString());
      assert.equal(await source.livelink.services.migrationLinks.reconcileStaleClaims(), 1);
      assert.equal(await source.livelink.services.migrationLinks.describe(other.orgId), undefined);
    } finally {
      await source.close();
      await target.close();
    }
  });
});
