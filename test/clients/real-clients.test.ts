/**
 * Real digest clients, each a real process: curl --digest and Python requests' HTTPDigestAuth drive
 * the three source endpoints and both link-token endpoints against a started livelink.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startLivelink, type OrgWithKey, type RunningLivelink } from '../support/livelink-fixture.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

interface CurlResult {
  status: number;
  headers: string;
  body: string;
}

/** curl as a person types it; `-w` appends the status so the body stays byte-exact. */
async function curl(args: string[]): Promise<CurlResult> {
  const dumpHeaders = args.includes('--include') ? [] : ['-D', '-'];
  const { stdout } = await run('curl', ['-sS', ...dumpHeaders, '-w', '\n%{http_code}', ...args]);
  const statusAt = stdout.lastIndexOf('\n');
  const status = Number(stdout.slice(statusAt + 1));
  const text = stdout.slice(0, statusAt);
  // With digest, curl prints the 401's headers and body, then the final response's headers and body.
  const lastHeaders = text.lastIndexOf('HTTP/1.1 ');
  const rest = text.slice(lastHeaders);
  const split = rest.indexOf('\r\n\r\n');
  return { status, headers: rest.slice(0, split), body: rest.slice(split + 4) };
}

describe('real clients against a started livelink', () => {
  let server: RunningLivelink;
  let source: OrgWithKey;
  let target: OrgWithKey;

  before(async () => {
    server = await startLivelink();
    source = await server.organizationWithKey('Source Org');
    target = await server.organizationWithKey('Target Org');
    await server.livelink.services.organizations.createProject(source.orgId, 'Project A');
  });
  after(() => server.close());

  it('runs the reference\'s example verbatim with curl --digest: 201 Created and {"status":"SYNCED"}', async () => {
    const created = await curl([
      '--digest',
      '--user',
      `${target.publicKey}:${target.privateKey}`,
      '-H',
      'Content-Type: application/json',
      '-H',
      'Accept: application/json',
      '-X',
      'POST',
      '--data',
      '{"accessListIps":[]}',
      `${server.url}/api/atlas/v2/orgs/${target.orgId}/liveMigrations/linkTokens`,
    ]);
    assert.equal(created.status, 201);
    const token = (JSON.parse(created.body) as { linkToken: string }).linkToken;

    // The reference's curl example for the POST, placeholders filled.
    const linked = await curl([
      '--user',
      `${source.publicKey}:${source.privateKey}`,
      '--digest',
      '--header',
      'Accept: application/json',
      '--header',
      'Content-Type: application/json',
      '--include',
      '--request',
      'POST',
      `${server.url}/api/atlas/v1.0/orgs/${source.orgId}/liveExport/migrationLink?pretty=true`,
      '--data',
      JSON.stringify({ linkToken: token }),
    ]);
    assert.equal(linked.status, 201);
    assert.match(linked.headers, /^HTTP\/1\.1 201 Created\r\n/);
    // Case-sensitive: the names as Ops Manager writes them.
    assert.match(linked.headers, /\r\nContent-Type: application\/json\r\n/);
    assert.match(linked.headers, /\r\nStrict-Transport-Security: max-age=300\r\n/);
    assert.match(linked.headers, /\r\nVary: Accept-Encoding\r\n/);
    assert.match(linked.headers, /\r\nX-MongoDB-Service-Version: gitHash=[^;]+; versionString=[^\r]+\r\n/);
    assert.equal(linked.body, '{\n  "status" : "SYNCED"\n}');

    const status = await curl([
      '--digest',
      '--user',
      `${source.publicKey}:${source.privateKey}`,
      `${server.url}/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink/status`,
    ]);
    assert.equal(status.status, 200);
    assert.equal(status.body, '{"status":"SYNCED"}');

    const deleted = await curl([
      '--digest',
      '--user',
      `${source.publicKey}:${source.privateKey}`,
      '-X',
      'DELETE',
      `${server.url}/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`,
    ]);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, '');

    const revoked = await curl([
      '--digest',
      '--user',
      `${target.publicKey}:${target.privateKey}`,
      '-X',
      'DELETE',
      `${server.url}/api/atlas/v2/orgs/${target.orgId}/liveMigrations/linkTokens`,
    ]);
    assert.equal(revoked.status, 204);
  });

  it('gives curl a wrong password exactly the 401 shape', async () => {
    const denied = await curl([
      '--digest',
      '--user',
      `${source.publicKey}:nope`,
      `${server.url}/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink/status`,
    ]);
    assert.equal(denied.status, 401);
    assert.match(
      denied.headers,
      /\r\nWWW-Authenticate: Digest realm="MMS Public API", domain="", nonce="[A-Za-z0-9]+", algorithm=MD5, qop="auth", stale=false\r\n/,
    );
    assert.match(denied.headers, /\r\nContent-Type: application\/json;charset=ISO-8859-1\r\n/);
    assert.equal(
      denied.body,
      '{"detail":"You are not authorized for this resource.","error":401,"errorCode":"USER_UNAUTHORIZED","parameters":[],"reason":"Unauthorized"}',
    );
  });

  it('lets a script grep the output of curl -i for the headers by their Ops Manager names', async () => {
    // Exactly what such a script does: a case-sensitive grep of the header lines.
    const script = `curl -si "$0" | grep -E '^(Content-Type|Strict-Transport-Security|Vary|WWW-Authenticate|X-MongoDB-Service-Version): '`;
    const { stdout } = await run('sh', [
      '-c',
      script,
      `${server.url}/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink/status`,
    ]);
    assert.deepEqual(
      stdout
        .trim()
        .split('\r\n')
        .map((line) => line.slice(0, line.indexOf(':'))),
      ['Strict-Transport-Security', 'X-MongoDB-Service-Version', 'Vary', 'WWW-Authenticate', 'Content-Type'],
    );
  });

  it('drives the whole flow with Python requests in one Session', async () => {
    const { stdout } = await run('python3', [
      join(here, 'requests_flow.py'),
      server.url,
      source.orgId,
      source.publicKey,
      source.privateKey,
      target.orgId,
      target.publicKey,
      target.privateKey,
    ]);
    const calls = Object.fromEntries(
      stdout
        .trim()
        .split('\n')
        .map((line) => {
          const call = JSON.parse(line) as { call: string; status: number; body: string; contentType: string | null };
          return [call.call, call];
        }),
    );
    assert.equal(calls['createLinkToken']?.status, 201);
    assert.equal(calls['createLinkToken']?.contentType, 'application/vnd.atlas.2023-01-01+json;charset=utf-8');
    assert.deepEqual([calls['createLink']?.status, calls['createLink']?.body], [201, '{"status":"SYNCED"}']);
    assert.deepEqual([calls['status']?.status, calls['status']?.body], [200, '{"status":"SYNCED"}']);
    assert.equal(calls['statusPretty']?.body, '{\n  "status" : "SYNCED"\n}');
    assert.deepEqual([calls['deleteLink']?.status, calls['deleteLink']?.body], [204, '']);
    assert.equal(calls['statusAfterDelete']?.body, '{"status":"NOT_SYNCED"}');
    assert.equal(calls['deleteLinkTokens']?.status, 204);
    assert.equal(calls['deleteLinkTokensAgain']?.status, 404);
    assert.equal(calls['wrongPassword']?.status, 401);
    assert.equal(JSON.parse(calls['wrongPassword']?.body ?? '{}').errorCode, 'USER_UNAUTHORIZED');
  });
});
