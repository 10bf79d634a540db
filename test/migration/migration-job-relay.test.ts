/**
 * The source's job relay between its migration hosts and the target (docs/live-migrations.md, "The
 * relay"), over real HTTP with digest, with a scripted target standing in for Atlas: what a host's key
 * may call (its own host's two routes, nothing else), the job it is given (the source deployment's
 * connection string filled in, with the request's credentials when Automation does not manage them),
 * its reports relayed as they are, and each way the target can fail. And HttpTargetClient's two job
 * calls against a server that answers what a broken target would.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { encodeLinkToken, type LinkTokenContents } from '../../src/features/link-tokens/link-token-codec.js';
import type {
  JobReportAnswer,
  MigrationJobReport,
  TargetJobAnswer,
  TargetMigrationJob,
} from '../../src/features/migration-link/migration-job.js';
import {
  HttpTargetClient,
  type TargetAnswer,
  type TargetClient,
  type TargetOutcome,
} from '../../src/features/migration-link/target-client.js';
import type { Organization, Project } from '../../src/features/organizations/organization.js';
import type { DigestTestClient } from '../support/digest-client.js';
import { DigestTestClient as Client } from '../support/digest-client.js';
import { composeLivelink } from '../support/livelink-fixture.js';
import type { Livelink } from '../../src/app/livelink.js';

const TARGET_ORG = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const JOB_ID = 'bbbbbbbbbbbbbbbbbbbbbbbb';
const HOST = 'mh1.example.internal';

/** Stands in for Atlas: answers what the test scripts, and records what the source asked. */
class ScriptedTarget implements TargetClient {
  readonly baseUrl = 'http://atlas.invalid';
  jobAnswer: TargetAnswer<TargetJobAnswer> = { kind: 'accepted', body: { job: null } };
  reportAnswer: TargetAnswer<JobReportAnswer> = { kind: 'accepted', body: { cutoverRequested: false, stop: false } };
  readonly jobCalls: { token: LinkTokenContents; sourceOrgId: string; sourceGroupId: string; hostname: string }[] = [];
  readonly reports: { sourceOrgId: string; sourceGroupId: string; hostname: string; jobId: string; report: MigrationJobReport }[] = [];

  pushInventory(): Promise<TargetOutcome> {
    return Promise.resolve({ kind: 'accepted' });
  }
  forgetSource(): Promise<TargetOutcome> {
    return Promise.resolve({ kind: 'accepted' });
  }
  migrationJob(
    token: LinkTokenContents,
    sourceOrgId: string,
    sourceGroupId: string,
    hostname: string,
  ): Promise<TargetAnswer<TargetJobAnswer>> {
    this.jobCalls.push({ token, sourceOrgId, sourceGroupId, hostname });
    return Promise.resolve(this.jobAnswer);
  }
  reportMigrationJob(
    _token: LinkTokenContents,
    sourceOrgId: string,
    sourceGroupId: string,
    hostname: string,
    jobId: string,
    report: MigrationJobReport,
  ): Promise<TargetAnswer<JobReportAnswer>> {
    this.reports.push({ sourceOrgId, sourceGroupId, hostname, jobId, report });
    return Promise.resolve(this.reportAnswer);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function targetJob(change: Partial<TargetMigrationJob> & { sourceGroupId: string }): TargetMigrationJob {
  return {
    id: JOB_ID,
    kind: 'MIGRATION',
    sourceClusterName: 'rs0',
    source: { managedAuthentication: true, username: null, password: null, ssl: false, caCertificatePath: null },
    destination: { clusterName: 'Cluster0', connectionString: 'mongodb://atlas-user:atlas-pw@dest.example.net:27017/?replicaSet=atlas' },
    dropDestinationData: false,
    cutoverRequested: false,
    stop: false,
    ...change,
  };
}

const MIGRATION_REPORT: MigrationJobReport = {
  kind: 'MIGRATION',
  phase: 'COPYING',
  documentsCopied: 1200,
  collectionsCopied: 1,
  collectionsToCopy: 3,
  changesApplied: 0,
  lagSeconds: null,
  caughtUp: false,
  errorMessage: null,
};

describe('the migration job relay (source side)', () => {
  const target = new ScriptedTarget();
  let livelink: Livelink;
  let close: () => Promise<void>;
  let url: string;
  let org: Organization;
  let project: Project;
  let otherProject: Project;
  let host: DigestTestClient;
  let linkToken: LinkTokenContents;

  const jobPath = (projectId = project.id, hostname = HOST) => `/api/public/v1.0/groups/${projectId}/migrationHosts/${hostname}/job`;
  const reportPath = (jobId = JOB_ID, projectId = project.id, hostname = HOST) =>
    `/api/public/v1.0/groups/${projectId}/migrationHosts/${hostname}/jobs/${jobId}`;

  before(async () => {
    ({ livelink, close } = await composeLivelink(
      { role: 'source', 'target-url': 'http://atlas.invalid', port: '0' },
      { targetClient: target },
    ));
    url = await livelink.listen();
    const { organizations, migrationHosts, migrationLinks } = livelink.services;
    org = await organizations.createOrganization('Ops Org');
    project = await organizations.createProject(org.id, 'Payments');
    otherProject = await organizations.createProject(org.id, 'Ledger');
    const facts = {
      mongoDBVersion: '7.0.14',
      featureCompatibilityVersion: '7.0',
      managed: true,
      sharded: false,
      shardsSize: null,
      tlsEnabled: false,
      agentVersion: null,
      dbSizeBytes: null,
      oplogSizeMB: null,
    };
    await organizations.createDeployment(
      project.id,
      { name: 'rs0', ...facts },
      'mongodb://svc:svc-pw@src1.example.net:27017,src2.example.net:27017/?replicaSet=rs0',
    );
    await organizations.createDeployment(project.id, { name: 'bare', ...facts });
    const added = await migrationHosts.add(project.id, HOST);
    assert.ok(added.apiKey !== undefined);
    host = new Client(url, added.apiKey.apiKey.publicKey, added.apiKey.privateKey);
    linkToken = {
      orgId: TARGET_ORG,
      orgName: 'Atlas Org',
      privateApiKey: '11111111-2222-4333-8444-555555555555',
      publicApiKey: 'zyxwvuts',
    };
    assert.equal(await migrationLinks.connect(org, encodeLinkToken(linkToken)), 'SYNCED');
  });
  after(() => close());
  beforeEach(() => {
    target.jobAnswer = { kind: 'accepted', body: { job: null } };
    target.reportAnswer = { kind: 'accepted', body: { cutoverRequested: false, stop: false } };
    target.jobCalls.length = 0;
    target.reports.length = 0;
  });

  it('asks the target for the host job each time, with the link-token, and answers {job: null} when there is none', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await host.request('GET', jobPath());
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.json(), { job: null });
    }
    assert.deepEqual(target.jobCalls, [
      { token: linkToken, sourceOrgId: org.id, sourceGroupId: project.id, hostname: HOST },
      { token: linkToken, sourceOrgId: org.id, sourceGroupId: project.id, hostname: HOST },
    ]);
  });

  it("fills in the source deployment's connection string, managed or with the job's credentials", async () => {
    target.jobAnswer = { kind: 'accepted', body: { job: targetJob({ sourceGroupId: project.id }) } };
    const managed = (await host.request('GET', jobPath())).json() as { job: { source: Record<string, unknown> } & Record<string, unknown> };
    assert.deepEqual(managed, {
      job: {
        ...targetJob({ sourceGroupId: project.id }),
        source: {
          managedAuthentication: true,
          username: null,
          password: null,
          ssl: false,
          caCertificatePath: null,
          connectionString: 'mongodb://svc:svc-pw@src1.example.net:27017,src2.example.net:27017/?replicaSet=rs0',
        },
      },
    });

    const unmanaged = targetJob({
      sourceGroupId: project.id,
      source: { managedAuthentication: false, username: 'ana@ops', password: 'p:w/50%', ssl: true, caCertificatePath: '/etc/ca.pem' },
    });
    target.jobAnswer = { kind: 'accepted', body: { job: unmanaged } };
    const given = (await host.request('GET', jobPath())).json() as { job: { source: { connectionString: string } } };
    assert.equal(
      given.job.source.connectionString,
      'mongodb://ana%40ops:p%3Aw%2F50%25@src1.example.net:27017,src2.example.net:27017/?replicaSet=rs0',
    );

    // What the target adds that the host does not need is not passed on.
    target.jobAnswer = {
      kind: 'accepted',
      body: { job: { ...targetJob({ sourceGroupId: project.id }), internal: 'x' } as TargetMigrationJob },
    };
    assert.equal('internal' in ((await host.request('GET', jobPath())).json() as { job: object }).job, false);
  });

  it('gives null for a deployment without a connection string or unknown to the source, and no job of another project', async () => {
    for (const sourceClusterName of ['bare', 'ghost']) {
      target.jobAnswer = { kind: 'accepted', body: { job: targetJob({ sourceGroupId: project.id, sourceClusterName }) } };
      const answer = (await host.request('GET', jobPath())).json() as { job: { source: { connectionString: unknown } } };
      assert.equal(answer.job.source.connectionString, null, sourceClusterName);
    }
    target.jobAnswer = { kind: 'accepted', body: { job: targetJob({ sourceGroupId: otherProject.id }) } };
    assert.deepEqual((await host.request('GET', jobPath())).json(), { job: null });
  });

  it("relays a report as it is, and the target's answer", async () => {
    target.reportAnswer = { kind: 'accepted', body: { cutoverRequested: true, stop: false } };
    const response = await host.request('PUT', reportPath(), MIGRATION_REPORT);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json(), { cutoverRequested: true, stop: false });
    const validation: MigrationJobReport = { kind: 'VALIDATION', status: 'FAILED', errorMessage: 'Source appears to be a standalone' };
    assert.equal((await host.request('PUT', reportPath(), validation)).status, 200);
    // With the host's project and name: the target takes a report only from the host it gave the job.
    assert.deepEqual(target.reports, [
      { sourceOrgId: org.id, sourceGroupId: project.id, hostname: HOST, jobId: JOB_ID, report: MIGRATION_REPORT },
      { sourceOrgId: org.id, sourceGroupId: project.id, hostname: HOST, jobId: JOB_ID, report: validation },
    ]);
  });

  it("records the end of a migration as an event of the source organization, with a failure's reason", async () => {
    const failed: MigrationJobReport = { ...MIGRATION_REPORT, phase: 'FAILED', errorMessage: 'Could not reach specified source: gone' };
    assert.equal((await host.request('PUT', reportPath(), failed)).status, 200);
    // The host's answer was lost: it sends the same final report again, which is taken and recorded once.
    assert.equal((await host.request('PUT', reportPath(), failed)).status, 200);
    const complete: MigrationJobReport = { ...MIGRATION_REPORT, phase: 'COMPLETE', lagSeconds: 0, caughtUp: true };
    assert.equal((await host.request('PUT', reportPath('eeeeeeeeeeeeeeeeeeeeeeee'), complete)).status, 200);
    assert.equal((await host.request('PUT', reportPath('eeeeeeeeeeeeeeeeeeeeeeee'), complete)).status, 200);
    // Progress is no event, nor a report the target refused.
    assert.equal((await host.request('PUT', reportPath(), MIGRATION_REPORT)).status, 200);
    target.reportAnswer = { kind: 'unreachable', detail: 'the connection was refused' };
    assert.equal((await host.request('PUT', reportPath('ffffffffffffffffffffffff'), failed)).status, 503);
    const events = (await livelink.services.audit.newestFirst(org.id)).filter((event) => event.eventType.startsWith('LIVE_MIGRATION_'));
    assert.deepEqual(
      events.map(({ eventType, details }) => ({ eventType, details })),
      [
        {
          eventType: 'LIVE_MIGRATION_COMPLETED',
          details: {
            liveMigrationId: 'eeeeeeeeeeeeeeeeeeeeeeee',
            groupId: project.id,
            migrationHost: HOST,
            documentsCopied: 1200,
            changesApplied: 0,
          },
        },
        {
          eventType: 'LIVE_MIGRATION_FAILED',
          details: {
            liveMigrationId: JOB_ID,
            groupId: project.id,
            migrationHost: HOST,
            documentsCopied: 1200,
            changesApplied: 0,
            reason: 'Could not reach specified source: gone',
          },
        },
      ],
    );
  });

  it('refuses a malformed report or job id, and relays the target not knowing the job', async () => {
    const bad = await host.request('PUT', reportPath(), { ...MIGRATION_REPORT, extra: 1 });
    assert.equal(bad.status, 400);
    const notAnId = await host.request('PUT', reportPath('not-an-id'), MIGRATION_REPORT);
    assert.equal(notAnId.status, 404);
    assert.equal((notAnId.json() as { errorCode: string }).errorCode, 'LIVE_MIGRATION_NOT_FOUND');
    target.reportAnswer = { kind: 'refused', status: 404, errorCode: 'LIVE_MIGRATION_NOT_FOUND', detail: 'No such job.' };
    const unknown = await host.request('PUT', reportPath(), MIGRATION_REPORT);
    assert.equal(unknown.status, 404);
    assert.equal((unknown.json() as { errorCode: string }).errorCode, 'LIVE_MIGRATION_NOT_FOUND');
    assert.equal(target.reports.length, 1, 'the malformed ones never reached the target');
  });

  it("answers the target's failures as the link does: 503, 504, 502, and 400 for a refused token", async () => {
    const cases: [TargetAnswer<TargetJobAnswer>, number, string][] = [
      [{ kind: 'unreachable', detail: 'the connection was refused' }, 503, 'TARGET_UNREACHABLE'],
      [{ kind: 'timeout' }, 504, 'TARGET_TIMEOUT'],
      [{ kind: 'bad-response', status: 500 }, 502, 'TARGET_BAD_RESPONSE'],
      [{ kind: 'refused', status: 401, errorCode: 'USER_UNAUTHORIZED', detail: 'revoked' }, 400, 'LINK_TOKEN_REJECTED'],
    ];
    for (const [answer, status, errorCode] of cases) {
      target.jobAnswer = answer;
      const response = await host.request('GET', jobPath());
      assert.deepEqual([response.status, (response.json() as { errorCode: string }).errorCode], [status, errorCode]);
    }
  });

  it('admits the host key for its own project and host name only, and no other key', async () => {
    const { apiKeys, migrationHosts } = livelink.services;
    const other = await migrationHosts.add(project.id, 'mh2.example.internal');
    assert.ok(other.apiKey !== undefined);
    const otherHost = new Client(url, other.apiKey.apiKey.publicKey, other.apiKey.privateKey);
    const owner = await apiKeys.create({ orgId: org.id, description: 'owner', roles: ['ORG_OWNER'], accessList: [] });
    const ownerClient = new Client(url, owner.apiKey.publicKey, owner.privateKey);
    const denied: [DigestTestClient, string, string][] = [
      [host, 'GET', jobPath(project.id, 'mh2.example.internal')],
      [host, 'GET', jobPath(otherProject.id)],
      [host, 'PUT', reportPath(JOB_ID, project.id, 'mh2.example.internal')],
      [otherHost, 'GET', jobPath()],
      [ownerClient, 'GET', jobPath()],
      [ownerClient, 'PUT', reportPath()],
      // The host key may call nothing else.
      [host, 'GET', '/api/public/v1.0/orgs'],
      [host, 'GET', `/api/public/v1.0/orgs/${org.id}`],
      [host, 'GET', `/api/public/v1.0/groups/${project.id}`],
      [host, 'GET', `/api/public/v1.0/orgs/${org.id}/liveExport/migrationLink/status`],
      [host, 'GET', `/api/public/v1.0/orgs/${org.id}/events`],
    ];
    for (const [client, method, path] of denied) {
      const response = await client.request(method, path, method === 'PUT' ? MIGRATION_REPORT : undefined);
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal((response.json() as { errorCode: string }).errorCode, 'USER_UNAUTHORIZED');
    }
    assert.equal((await otherHost.request('GET', jobPath(project.id, 'mh2.example.internal'))).status, 200);
    assert.equal(target.jobCalls.length, 1, 'only the admitted call reached the target');
    assert.equal(target.reports.length, 0);

    // Removed, the host's key is gone with it.
    assert.equal(await migrationHosts.remove(project.id, 'mh2.example.internal'), true);
    assert.equal((await otherHost.request('GET', jobPath(project.id, 'mh2.example.internal'))).status, 401);
  });

  it('answers {job: null} without a link, and refuses a report with ORG_LINK_NOT_FOUND', async () => {
    const { organizations, migrationHosts } = livelink.services;
    const lone = await organizations.createOrganization('Unlinked Org');
    const loneProject = await organizations.createProject(lone.id, 'Alone');
    const added = await migrationHosts.add(loneProject.id, HOST);
    assert.ok(added.apiKey !== undefined);
    const loneHost = new Client(url, added.apiKey.apiKey.publicKey, added.apiKey.privateKey);
    const job = await loneHost.request('GET', jobPath(loneProject.id));
    assert.deepEqual([job.status, job.json()], [200, { job: null }]);
    const report = await loneHost.request('PUT', reportPath(JOB_ID, loneProject.id), MIGRATION_REPORT);
    assert.deepEqual([report.status, (report.json() as { errorCode: string }).errorCode], [404, 'ORG_LINK_NOT_FOUND']);
    assert.equal(target.jobCalls.length + target.reports.length, 0, 'the target was not asked');
  });
});

describe("HttpTargetClient's job calls", () => {
  let server: Server;
  let answer: { status: number; body: string } = { status: 200, body: '{"job":null}' };
  const seen: { method: string; url: string; body: string }[] = [];
  let client: HttpTargetClient;
  const token: LinkTokenContents = {
    orgId: TARGET_ORG,
    orgName: 'Atlas',
    privateApiKey: '11111111-2222-4333-8444-555555555555',
    publicApiKey: 'abcdefgh',
  };

  before(async () => {
    // Answers without a digest challenge: what is tested here is how answers are read, not digest.
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ method: request.method ?? '', url: request.url ?? '', body });
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    client = new HttpTargetClient({
      baseUrl: () => `http://127.0.0.1:${port}`,
      connectTimeoutMs: 1000,
      totalTimeoutMs: 2000,
      maxResponseBytes: 4096,
    });
  });
  after(async () => {
    await client.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('asks on the paths of docs/live-migrations.md and reads a job, none, or an answer to a report', async () => {
    const job = targetJob({ sourceGroupId: 'cccccccccccccccccccccccc' });
    answer = { status: 200, body: JSON.stringify({ job }) };
    assert.deepEqual(await client.migrationJob(token, 'dddddddddddddddddddddddd', 'cccccccccccccccccccccccc', HOST), {
      kind: 'accepted',
      body: { job },
    });
    answer = { status: 200, body: '{"cutoverRequested":false,"stop":true}' };
    assert.deepEqual(
      await client.reportMigrationJob(token, 'dddddddddddddddddddddddd', 'cccccccccccccccccccccccc', HOST, JOB_ID, MIGRATION_REPORT),
      {
        kind: 'accepted',
        body: { cutoverRequested: false, stop: true },
      },
    );
    const base = `/api/atlas/v1.0/orgs/${TARGET_ORG}/liveMigrations/sourceOrganizations/dddddddddddddddddddddddd`;
    assert.deepEqual(
      seen.slice(-2).map(({ method, url }) => `${method} ${url}`),
      [
        `GET ${base}/groups/cccccccccccccccccccccccc/migrationHosts/${HOST}/job`,
        `PUT ${base}/groups/cccccccccccccccccccccccc/migrationHosts/${HOST}/jobs/${JOB_ID}`,
      ],
    );
  });

  it('takes an answer of another shape, or too large, as a bad response, and 404 as a refusal', async () => {
    for (const body of ['{"job":{"id":"x"}}', '{"jobs":[]}', 'not json', `{"job":null,"pad":"${'x'.repeat(5000)}"}`]) {
      answer = { status: 200, body };
      assert.deepEqual(
        await client.migrationJob(token, TARGET_ORG, TARGET_ORG, HOST),
        { kind: 'bad-response', status: 200 },
        body.slice(0, 20),
      );
    }
    answer = { status: 200, body: '{"cutoverRequested":"yes","stop":false}' };
    assert.deepEqual(await client.reportMigrationJob(token, TARGET_ORG, TARGET_ORG, HOST, JOB_ID, MIGRATION_REPORT), {
      kind: 'bad-response',
      status: 200,
    });
    answer = { status: 404, body: '{"errorCode":"LIVE_MIGRATION_NOT_FOUND","detail":"No such job."}' };
    assert.deepEqual(await client.reportMigrationJob(token, TARGET_ORG, TARGET_ORG, HOST, JOB_ID, MIGRATION_REPORT), {
      kind: 'refused',
      status: 404,
      errorCode: 'LIVE_MIGRATION_NOT_FOUND',
      detail: 'No such job.',
    });
  });
});
