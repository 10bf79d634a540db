/**
 * Faults on the source's calls to the target, driven through the control API and seen by a real digest
 * client of the Public API: the link POST, the sync loop's pushes, the unlink and the migration hosts'
 * relayed job calls fail as a real target failing would make them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cli } from '../cli/helpers.js';
import { DigestTestClient } from '../support/digest-client.js';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';
import { waitFor } from '../support/wait-for.js';

const TOKEN = 'rehearsal-control-token-0123456789';
const CONTROL = '/_livelink/control/v1';
const HOST = 'mh1.example.internal';
const linkPath = (orgId: string) => `/api/public/v1.0/orgs/${orgId}/liveExport/migrationLink`;

describe("faults on the source's calls to the target", () => {
  let server: RunningLivelink;
  let atlas: OrgWithKey;
  let clockOffsetMs = 0;

  before(async () => {
    server = await startLivelink(
      { 'control-token': TOKEN, 'sync-interval': '1' },
      {},
      { livelink: { now: () => new Date(Date.now() + clockOffsetMs) } },
    );
    atlas = await server.organizationWithKey('Atlas Org');
  });
  after(() => server.close());

  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${CONTROL}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const inject = async (fault: Record<string, unknown>) => {
    const answer = await control('POST', '/faults/targetCalls', fault);
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    return answer.body;
  };
  const newToken = async () => {
    const response = await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, {
      accessListIps: [],
    });
    assert.equal(response.status, 201, response.text);
    return (response.json() as { linkToken: string }).linkToken;
  };
  /** A fresh source organization: every test links its own. */
  const sourceOrg = async (name: string) => {
    const org = await server.organizationWithKey(name);
    await server.livelink.services.organizations.createProject(org.orgId, `${name} Project`);
    return org;
  };
  const statusOf = async (org: OrgWithKey) => (await org.client.request('GET', `${linkPath(org.orgId)}/status`)).text;
  const errorBody = (status: number, errorCode: string, detail: string, reason: string) =>
    JSON.stringify({ detail, error: status, errorCode, parameters: [server.url], reason });

  it('link unreachable for the next call: 503 TARGET_UNREACHABLE, nothing stored, and the next call links', async () => {
    const org = await sourceOrg('Unreachable Org');
    const fault = await inject({ call: 'link', failure: 'UNREACHABLE', calls: 1 });
    assert.deepEqual(Object.keys(fault).sort(), ['call', 'createdAt', 'expiresAt', 'failure', 'id', 'remainingCalls']);
    assert.deepEqual(
      [fault['call'], fault['failure'], fault['remainingCalls'], fault['expiresAt']],
      ['link', { kind: 'UNREACHABLE' }, 1, null],
    );
    const listed = await control('GET', '/faults');
    assert.deepEqual(listed.body, {
      results: [
        {
          family: 'targetCall',
          id: fault['id'],
          createdAt: fault['createdAt'],
          details: { call: 'link', kind: 'UNREACHABLE', remainingCalls: 1, expiresAt: null },
        },
      ],
      totalCount: 1,
    });

    const token = await newToken();
    const refused = await org.client.request('POST', linkPath(org.orgId), { linkToken: token });
    assert.equal(refused.status, 503);
    assert.equal(
      refused.text,
      errorBody(
        503,
        'TARGET_UNREACHABLE',
        `The Atlas API at ${server.url} could not be reached: the connection was refused.`,
        'Service Unavailable',
      ),
    );
    assert.equal(await statusOf(org), '{"status":"NOT_SYNCED"}');
    assert.equal((await org.client.request('DELETE', linkPath(org.orgId))).status, 404);
    // The one call is spent: the fault is gone, and the same token links.
    assert.deepEqual((await control('GET', '/faults')).body, { results: [], totalCount: 0 });
    const linked = await org.client.request('POST', linkPath(org.orgId), { linkToken: token });
    assert.equal(linked.status, 201, linked.text);
    assert.equal(linked.text, '{"status":"SYNCED"}');
  });

  it('link answered with a status and body: the link answers as for a real target saying it', async () => {
    const org = await sourceOrg('Status Org');
    const token = await newToken();
    await inject({
      call: 'link',
      failure: 'STATUS',
      status: 401,
      body: { detail: 'The API key was revoked.', error: 401, errorCode: 'USER_UNAUTHORIZED', parameters: [], reason: 'Unauthorized' },
      calls: 1,
    });
    const revoked = await org.client.request('POST', linkPath(org.orgId), { linkToken: token });
    assert.equal(revoked.status, 400);
    assert.deepEqual(revoked.json(), {
      detail:
        "The Atlas organization refused the link-token: its API key is unknown or revoked, or this server's address is not on the token's access list. " +
        'It answered 401 USER_UNAUTHORIZED: The API key was revoked.',
      error: 400,
      errorCode: 'LINK_TOKEN_REJECTED',
      parameters: [],
      reason: 'Bad Request',
    });
    await inject({ call: 'link', failure: 'STATUS', status: 500, calls: 1 });
    const failed = await org.client.request('POST', linkPath(org.orgId), { linkToken: token });
    assert.equal(failed.status, 502);
    assert.equal(
      failed.text,
      errorBody(502, 'TARGET_BAD_RESPONSE', `The Atlas API at ${server.url} gave an unexpected answer (HTTP 500).`, 'Bad Gateway'),
    );
    assert.equal(await statusOf(org), '{"status":"NOT_SYNCED"}');
  });

  it('link answered with garbage: 502 TARGET_BAD_RESPONSE; a delay within the timeout only slows the call', async () => {
    const org = await sourceOrg('Garbage Org');
    const token = await newToken();
    await inject({ call: 'link', failure: 'GARBAGE', calls: 1 });
    const garbage = await org.client.request('POST', linkPath(org.orgId), { linkToken: token });
    assert.equal(garbage.status, 502);
    assert.equal(
      garbage.text,
      errorBody(502, 'TARGET_BAD_RESPONSE', `The Atlas API at ${server.url} gave an unexpected answer (HTTP 200).`, 'Bad Gateway'),
    );
    assert.equal(await statusOf(org), '{"status":"NOT_SYNCED"}');
    await inject({ call: 'link', failure: 'DELAY', delayMs: 10, calls: 1 });
    assert.equal((await org.client.request('POST', linkPath(org.orgId), { linkToken: token })).text, '{"status":"SYNCED"}');
  });

  it('inventory pushes failing until cleared: the link turns NOT_SYNCED, and SYNCED once the faults are cleared', async () => {
    const org = await sourceOrg('Sync Org');
    assert.equal((await org.client.request('POST', linkPath(org.orgId), { linkToken: await newToken() })).status, 201);
    await inject({ call: 'inventory', failure: 'STATUS', status: 503 });
    await waitFor(async () => (await statusOf(org)) === '{"status":"NOT_SYNCED"}', 'the sync to fail');
    assert.equal((await control('DELETE', '/faults')).body['cleared'], 1);
    await waitFor(async () => (await statusOf(org)) === '{"status":"SYNCED"}', 'the sync to succeed again');
  });

  it("inventory pushes failing for a duration: they succeed again once the program's clock has passed it", async () => {
    const org = await sourceOrg('Duration Org');
    assert.equal((await org.client.request('POST', linkPath(org.orgId), { linkToken: await newToken() })).status, 201);
    await inject({ call: 'inventory', failure: 'UNREACHABLE', durationSeconds: 600 });
    await waitFor(async () => (await statusOf(org)) === '{"status":"NOT_SYNCED"}', 'the sync to fail');
    clockOffsetMs += 601_000;
    await waitFor(async () => (await statusOf(org)) === '{"status":"SYNCED"}', 'the sync to succeed after the duration');
    assert.deepEqual((await control('GET', '/faults')).body, { results: [], totalCount: 0 });
  });

  it('unlink unreachable: the source still disconnects (204), and the target was never told', async () => {
    const org = await sourceOrg('Unlink Org');
    assert.equal((await org.client.request('POST', linkPath(org.orgId), { linkToken: await newToken() })).status, 201);
    await inject({ call: 'unlink', failure: 'UNREACHABLE', calls: 1 });
    const removed = await org.client.request('DELETE', linkPath(org.orgId));
    assert.equal(removed.status, 204);
    const available = await atlas.client.request('GET', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/availableProjects`);
    assert.match(available.text, /Unlink Org Project/);
  });

  it("migration progress unreachable: the migration host's job fetch answers 503 TARGET_UNREACHABLE", async () => {
    const org = await sourceOrg('Host Org');
    const project = (await server.livelink.services.organizations.listProjects(org.orgId))[0];
    assert.ok(project !== undefined);
    const added = await server.livelink.services.migrationHosts.add(project.id, HOST);
    assert.ok(added.apiKey !== undefined);
    const host = new DigestTestClient(server.url, added.apiKey.apiKey.publicKey, added.apiKey.privateKey);
    assert.equal((await org.client.request('POST', linkPath(org.orgId), { linkToken: await newToken() })).status, 201);
    const jobPath = `/api/public/v1.0/groups/${project.id}/migrationHosts/${HOST}/job`;
    await inject({ call: 'migrationProgress', failure: 'UNREACHABLE', calls: 2 });
    for (let i = 0; i < 2; i++) {
      const failed = await host.request('GET', jobPath);
      assert.equal(failed.status, 503);
      assert.equal((failed.json() as { errorCode: string }).errorCode, 'TARGET_UNREACHABLE');
    }
    assert.equal((await host.request('GET', jobPath)).text, '{"job":null}');
  });

  it('refuses a fault that is not well formed, in the error format', async () => {
    const missing = await control('POST', '/faults/targetCalls', { call: 'link', failure: 'STATUS' });
    assert.deepEqual(missing, {
      status: 400,
      body: {
        detail: 'The required attribute status was not specified.',
        error: 400,
        errorCode: 'MISSING_ATTRIBUTE',
        parameters: ['status'],
        reason: 'Bad Request',
      },
    });
    const misplaced = await control('POST', '/faults/targetCalls', { call: 'link', failure: 'TIMEOUT', delayMs: 5 });
    assert.equal(misplaced.status, 400);
    assert.equal(misplaced.body['errorCode'], 'INVALID_ATTRIBUTE');
    const unknownCall = await control('POST', '/faults/targetCalls', { call: 'sideways', failure: 'TIMEOUT' });
    assert.equal(unknownCall.status, 400);
    assert.equal(unknownCall.body['errorCode'], 'INVALID_ATTRIBUTE');
    assert.deepEqual((await control('GET', '/faults')).body, { results: [], totalCount: 0 });
  });

  it('has its CLI twin: livelink control target-fault', async () => {
    const env = { LIVELINK_CONTROL_TOKEN: TOKEN, LIVELINK_URL: server.url };
    const text = await cli(
      ['control', 'target-fault', '--call', 'inventory', '--failure', 'status', '--status', '503', '--calls', '2'],
      env,
    );
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Injected fault [a-f0-9]{24}: the next 2 inventory calls answer HTTP 503\.\n$/);
    const json = await cli(
      ['control', 'target-fault', '--call', 'link', '--failure', 'delay', '--delay-ms', '5', '--duration', '30', '--json'],
      env,
    );
    assert.equal(json.code, 0, json.stderr);
    const fault = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.deepEqual(fault['failure'], { kind: 'DELAY', delayMs: 5 });
    assert.equal(fault['remainingCalls'], null);
    const listed = await cli(['control', 'list-faults'], env);
    assert.match(listed.stdout, /^FAMILY +ID +CREATED +DETAILS\ntargetCall .*"call":"inventory".*\ntargetCall .*"call":"link".*\n$/);
    assert.deepEqual(await cli(['control', 'clear-faults'], env), { code: 0, stdout: 'Cleared 2 faults.\n', stderr: '' });
    const wrong = await cli(['control', 'target-fault', '--call', 'link', '--failure', 'sideways'], env);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--failure must be one of unreachable, timeout, status, garbage, delay/);
  });
});

describe("timeouts of the source's calls to the target", () => {
  let server: RunningLivelink;
  // One second for a call to the target, which the timeout faults wait for; every call here is faulted,
  // so a slow machine cannot make one of them time out that should not.
  before(async () => {
    server = await startLivelink({ 'control-token': TOKEN }, { LIVELINK_OUTBOUND_TIMEOUT: '1' });
  });
  after(() => server.close());

  it('link timed out, or delayed past the timeout: 504 TARGET_TIMEOUT, nothing stored', async () => {
    const atlas = await server.organizationWithKey('Atlas Org');
    const org = await server.organizationWithKey('Timeout Org');
    const created = await atlas.client.request('POST', `/api/atlas/v2/orgs/${atlas.orgId}/liveMigrations/linkTokens`, {
      accessListIps: [],
    });
    const { linkToken } = created.json() as { linkToken: string };
    const timeout = JSON.stringify({
      detail: `The Atlas API at ${server.url} did not answer in time.`,
      error: 504,
      errorCode: 'TARGET_TIMEOUT',
      parameters: [server.url],
      reason: 'Gateway Timeout',
    });
    for (const fault of [
      { call: 'link', failure: 'TIMEOUT', calls: 1 },
      { call: 'link', failure: 'DELAY', delayMs: 60_000, calls: 1 },
    ]) {
      const injected = await fetch(`${server.url}${CONTROL}/faults/targetCalls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(fault),
      });
      assert.equal(injected.status, 201);
      const timedOut = await org.client.request('POST', linkPath(org.orgId), { linkToken });
      assert.equal(timedOut.status, 504, fault.failure);
      assert.equal(timedOut.text, timeout);
    }
    assert.equal((await org.client.request('GET', `${linkPath(org.orgId)}/status`)).text, '{"status":"NOT_SYNCED"}');
  });
});
