/**
 * The whole flow with a source and a target as two livelink processes on their own ports, set up
 * through the CLI as an operator would, with real HTTP between them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DigestTestClient } from '../support/digest-client.js';
import { livelinkJson, startLivelinkProcess, type RunningProcess } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

interface Credentials {
  orgId: string;
  publicKey: string;
  privateKey: string;
}

describe('a source and a target as two processes', () => {
  let work: string;
  let target: RunningProcess;
  let source: RunningProcess;
  let atlas: DigestTestClient;
  let ops: DigestTestClient;
  let targetOrg: Credentials;
  let sourceOrg: Credentials;
  let deploymentId: string;
  const sourceData = () => join(work, 'source');

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'livelink-two-'));
    targetOrg = (await livelinkJson<{ target: Credentials }>(['init', '--data', join(work, 'target')])).target;
    sourceOrg = (await livelinkJson<{ source: Credentials }>(['init', '--data', sourceData()])).source;
    const projects = await livelinkJson<{ id: string }[]>(['project', 'list', '--org', sourceOrg.orgId, '--data', sourceData()]);
    const deployments = await livelinkJson<{ id: string }[]>([
      'deployment',
      'list',
      '--project',
      projects[0]?.id ?? '',
      '--data',
      sourceData(),
    ]);
    deploymentId = deployments[0]?.id ?? '';
    target = await startLivelinkProcess(['--role', 'target', '--data', join(work, 'target')]);
    source = await startLivelinkProcess(['--role', 'source', '--data', sourceData(), '--target-url', target.url, '--sync-interval', '1']);
    atlas = new DigestTestClient(target.url, targetOrg.publicKey, targetOrg.privateKey);
    ops = new DigestTestClient(source.url, sourceOrg.publicKey, sourceOrg.privateKey);
  });
  after(async () => {
    await source?.stop();
    await target?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const link = () => `/api/public/v1.0/orgs/${sourceOrg.orgId}/liveExport/migrationLink`;
  const projectsOnTarget = async () =>
    (await atlas.request('GET', `/api/atlas/v2/orgs/${targetOrg.orgId}/liveMigrations/availableProjects`)).json() as {
      name: string;
      deployments: { clusterId: string; mongoDBVersion: string }[];
      migrationHosts: string[];
    }[];

  it('serves each role only on its own process', async () => {
    assert.equal((await ops.request('GET', `/api/atlas/v2/orgs/${targetOrg.orgId}/liveMigrations/availableProjects`)).status, 404);
    assert.equal((await atlas.request('GET', `${link()}/status`)).status, 404);
  });

  it('links, syncs on change, turns NOT_SYNCED when revoked, and disconnects', async () => {
    const created = await atlas.request('POST', `/api/atlas/v2/orgs/${targetOrg.orgId}/liveMigrations/linkTokens`, {
      accessListIps: ['127.0.0.1'],
    });
    assert.equal(created.status, 201);
    const { linkToken } = created.json() as { linkToken: string };

    const linked = await ops.request('POST', link(), { linkToken });
    assert.equal(linked.status, 201);
    assert.equal(linked.text, '{"status":"SYNCED"}');
    assert.equal((await ops.request('GET', `${link()}/status`)).text, '{"status":"SYNCED"}');

    const pushed = await projectsOnTarget();
    assert.deepEqual(
      pushed.map((p) => p.name),
      ['Demo Project'],
    );
    assert.equal(pushed[0]?.deployments[0]?.clusterId, deploymentId);
    assert.deepEqual(pushed[0]?.migrationHosts, ['migration-host-1.example.internal']);

    // An operator changes the deployment with the CLI (another process): the source pushes it.
    await livelinkJson(['deployment', 'update', '--id', deploymentId, '--mongodb-version', '6.0.15', '--data', sourceData()]);
    await waitFor(async () => (await projectsOnTarget())[0]?.deployments[0]?.mongoDBVersion === '6.0.15', 'the change to reach the target');

    assert.equal((await atlas.request('DELETE', `/api/atlas/v2/orgs/${targetOrg.orgId}/liveMigrations/linkTokens`)).status, 204);
    await waitFor(
      async () => (await ops.request('GET', `${link()}/status`)).text === '{"status":"NOT_SYNCED"}',
      'NOT_SYNCED after the revocation',
    );

    assert.equal((await ops.request('DELETE', link())).status, 204);
    assert.equal((await ops.request('GET', `${link()}/status`)).text, '{"status":"NOT_SYNCED"}');
    assert.equal((await ops.request('DELETE', link())).status, 404);
  });

  it('answers 503 TARGET_UNREACHABLE and stores nothing once the target is gone', async () => {
    const created = await atlas.request('POST', `/api/atlas/v2/orgs/${targetOrg.orgId}/liveMigrations/linkTokens`, {});
    const { linkToken } = created.json() as { linkToken: string };
    await target.stop();
    const response = await ops.request('POST', link(), { linkToken });
    assert.equal(response.status, 503);
    assert.equal((response.json() as { errorCode: string }).errorCode, 'TARGET_UNREACHABLE');
    assert.equal((await ops.request('GET', `${link()}/status`)).text, '{"status":"NOT_SYNCED"}');
  });
});
