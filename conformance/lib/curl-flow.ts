/**
 * curl --digest, as a person types it from the reference's examples: the whole link flow and its
 * error paths against the started livelink, the final response's status, headers and body compared.
 */
import type { Check } from './checks.js';
import { runCommand } from './processes.js';
import type { Fixture } from './seed.js';

interface CurlResponse {
  status: number;
  headers: string;
  body: string;
  error?: string;
}

const V2 = 'application/vnd.atlas.2023-01-01+json';
const WRONG_PRIVATE_KEY = '00000000-0000-4000-8000-000000000000';

/** Runs curl; with digest it prints the 401 and then the final response: keep the last one. */
async function curl(args: readonly string[]): Promise<CurlResponse> {
  const result = await runCommand('curl', ['-sS', '--max-time', '30', '-D', '-', '-w', '\n%{http_code}', ...args], { timeoutMs: 40_000 });
  if (result.exitCode !== 0) return { status: 0, headers: '', body: '', error: `curl exit ${result.exitCode}: ${result.stderr.trim()}` };
  const out = result.stdout;
  const statusAt = out.lastIndexOf('\n');
  const text = out.slice(0, statusAt);
  const last = text.lastIndexOf('HTTP/1.1 ');
  const rest = text.slice(last);
  const split = rest.indexOf('\r\n\r\n');
  return { status: Number(out.slice(statusAt + 1)), headers: rest.slice(0, split), body: rest.slice(split + 4) };
}

function header(response: CurlResponse, name: string): string | undefined {
  const match = new RegExp(`\\r\\n${name}: ([^\\r]*)`, 'i').exec(response.headers);
  return match?.[1];
}

function errorCode(response: CurlResponse): string {
  try {
    const parsed = JSON.parse(response.body) as { errorCode?: unknown };
    return typeof parsed.errorCode === 'string' ? parsed.errorCode : '(no errorCode)';
  } catch {
    return response.error ?? '(body is not JSON)';
  }
}

export async function runCurlFlow(fixture: Fixture): Promise<Check[]> {
  const version = (await runCommand('curl', ['--version'])).stdout.split(' ')[1] ?? '?';
  const client = `curl ${version} --digest`;
  const rows: Check[] = [];
  const check = (operation: string, expected: string, got: string) =>
    rows.push({ setup: fixture.setup, client, operation, expected, got, result: expected === got ? 'pass' : 'fail' });
  const source = ['--digest', '--user', `${fixture.source.publicKey}:${fixture.source.privateKey}`];
  const target = ['--digest', '--user', `${fixture.target.publicKey}:${fixture.target.privateKey}`];
  const link = `${fixture.sourceUrl}/api/public/v1.0/orgs/${fixture.source.orgId}/liveExport/migrationLink`;
  const tokens = `${fixture.targetUrl}/api/atlas/v2/orgs/${fixture.target.orgId}/liveMigrations/linkTokens`;
  const json = ['-H', 'Content-Type: application/json', '-H', 'Accept: application/json'];

  const created = await curl([
    ...target,
    '-H',
    `Content-Type: ${V2}`,
    '-H',
    `Accept: ${V2}`,
    '-X',
    'POST',
    '--data',
    '{"accessListIps":["127.0.0.1"]}',
    tokens,
  ]);
  let token = '';
  try {
    token = (JSON.parse(created.body) as { linkToken?: string }).linkToken ?? '';
  } catch {
    token = '';
  }
  check('POST v2 linkTokens', '201 linkToken', `${created.status} ${token ? 'linkToken' : (created.error ?? created.body.slice(0, 120))}`);

  // Error paths first, while nothing is linked.
  let r = await curl([...source, ...json, '-X', 'POST', '--data', '{}', link]);
  check('POST migrationLink {}', '400 MISSING_ATTRIBUTE', `${r.status} ${errorCode(r)}`);
  r = await curl([...source, ...json, '-X', 'POST', '--data', '{"linkToken":"garbage"}', link]);
  check('POST migrationLink garbage linkToken', '400 INVALID_ATTRIBUTE', `${r.status} ${errorCode(r)}`);
  r = await curl([...source, `${fixture.sourceUrl}/api/public/v1.0/orgs/${fixture.sourceOtherOrg}/liveExport/migrationLink/status`]);
  check('GET status of another organization', '401 USER_UNAUTHORIZED', `${r.status} ${errorCode(r)}`);
  // Another key of the organization: failed digests count against a (public key, address) pair.
  r = await curl(['--digest', '--user', `${fixture.probes.curl.source}:${WRONG_PRIVATE_KEY}`, `${link}/status`]);
  check('GET status with a wrong private key', '401 USER_UNAUTHORIZED', `${r.status} ${errorCode(r)}`);
  const challenge = header(r, 'www-authenticate') ?? '(none)';
  check(
    'WWW-Authenticate on a wrong private key',
    'Digest realm="MMS Public API", domain="", nonce="<alnum>", algorithm=MD5, qop="auth", stale=false',
    challenge.replace(/nonce="[A-Za-z0-9]+"/, 'nonce="<alnum>"'),
  );

  // The reference's example for the POST, verbatim (its /api/atlas/v1.0 alias, --include, pretty=true).
  r = await curl([
    '--user',
    `${fixture.source.publicKey}:${fixture.source.privateKey}`,
    '--digest',
    '--header',
    'Accept: application/json',
    '--header',
    'Content-Type: application/json',
    '--request',
    'POST',
    `${fixture.sourceUrl}/api/atlas/v1.0/orgs/${fixture.source.orgId}/liveExport/migrationLink?pretty=true`,
    '--data',
    JSON.stringify({ linkToken: token }),
  ]);
  check("POST migrationLink (the reference's example)", '201 {\\n  "status" : "SYNCED"\\n}', `${r.status} ${r.body.replace(/\n/g, '\\n')}`);
  r = await curl([...source, `${link}/status`]);
  check('GET status', '200 {"status":"SYNCED"}', `${r.status} ${r.body}`);
  r = await curl([
    ...target,
    '-H',
    `Accept: ${V2}`,
    `${fixture.targetUrl}/api/atlas/v2/orgs/${fixture.target.orgId}/liveMigrations/availableProjects`,
  ]);
  check('GET v2 availableProjects', `200 lists ${fixture.projectName}`, `${r.status} ${listsProject(r.body, fixture)}`);
  r = await curl([...source, '-X', 'DELETE', link]);
  check('DELETE migrationLink', "204 ''", `${r.status} '${r.body}'`);
  r = await curl([...source, `${link}/status?pretty=true`]);
  check('GET status?pretty=true after DELETE', '200 {\\n  "status" : "NOT_SYNCED"\\n}', `${r.status} ${r.body.replace(/\n/g, '\\n')}`);
  r = await curl([...target, '-X', 'DELETE', tokens]);
  check('DELETE v2 linkTokens', "204 ''", `${r.status} '${r.body}'`);
  r = await curl([...target, '-X', 'DELETE', tokens]);
  check('DELETE v2 linkTokens again', '404 UNEXPECTED_ERROR', `${r.status} ${errorCode(r)}`);
  return rows;
}

function listsProject(body: string, fixture: Fixture): string {
  try {
    const projects = JSON.parse(body) as { name?: string; projectId?: string }[];
    const found = Array.isArray(projects) && projects.some((p) => p.name === fixture.projectName && p.projectId === fixture.projectId);
    return found ? `lists ${fixture.projectName}` : `does not list ${fixture.projectName}: ${body.slice(0, 160)}`;
  } catch {
    return `(body is not JSON) ${body.slice(0, 160)}`;
  }
}

/** A link-token from the target, through curl (for the legs that need one but do not create it themselves). */
export async function createLinkTokenWithCurl(fixture: Fixture, accessListIps: string[]): Promise<string> {
  const response = await curl([
    '--digest',
    '--user',
    `${fixture.target.publicKey}:${fixture.target.privateKey}`,
    '-H',
    `Content-Type: ${V2}`,
    '-H',
    `Accept: ${V2}`,
    '-X',
    'POST',
    '--data',
    JSON.stringify({ accessListIps }),
    `${fixture.targetUrl}/api/atlas/v2/orgs/${fixture.target.orgId}/liveMigrations/linkTokens`,
  ]);
  try {
    return (JSON.parse(response.body) as { linkToken?: string }).linkToken ?? '';
  } catch {
    return '';
  }
}

/** Removes the target organization's links and their keys (clean-up between legs). */
export async function deleteLinkTokensWithCurl(fixture: Fixture): Promise<void> {
  await curl([
    '--digest',
    '--user',
    `${fixture.target.publicKey}:${fixture.target.privateKey}`,
    '-X',
    'DELETE',
    `${fixture.targetUrl}/api/atlas/v2/orgs/${fixture.target.orgId}/liveMigrations/linkTokens`,
  ]);
}

/**
 * Connects the source organization with a link-token, as the flow's step 2 does: the source pushes its
 * inventory to the target, which from then on knows the source organization and its projects and hosts.
 * Any link left from an earlier leg is removed first. Returns "201 SYNCED" or what was answered instead.
 */
export async function connectSourceWithCurl(fixture: Fixture, token: string): Promise<string> {
  await disconnectSourceWithCurl(fixture);
  const response = await curl([
    '--digest',
    '--user',
    `${fixture.source.publicKey}:${fixture.source.privateKey}`,
    '-H',
    'Content-Type: application/json',
    '-H',
    'Accept: application/json',
    '-X',
    'POST',
    '--data',
    JSON.stringify({ linkToken: token }),
    `${fixture.sourceUrl}/api/public/v1.0/orgs/${fixture.source.orgId}/liveExport/migrationLink`,
  ]);
  try {
    return `${response.status} ${String((JSON.parse(response.body) as { status?: unknown; errorCode?: unknown }).status ?? errorCode(response))}`;
  } catch {
    return `${response.status} ${response.error ?? response.body.slice(0, 160)}`;
  }
}

/** Removes the source organization's link, if it has one (clean-up between legs). */
export async function disconnectSourceWithCurl(fixture: Fixture): Promise<void> {
  await curl([
    '--digest',
    '--user',
    `${fixture.source.publicKey}:${fixture.source.privateKey}`,
    '-X',
    'DELETE',
    `${fixture.sourceUrl}/api/public/v1.0/orgs/${fixture.source.orgId}/liveExport/migrationLink`,
  ]);
}
