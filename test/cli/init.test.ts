import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKey } from '../../src/features/api-keys/api-key.js';
import type { Deployment, Organization, Project } from '../../src/features/organizations/organization.js';
import { cli, cliJson, inFreshDataDirEachTest, keyAuthenticates, OBJECT_ID, PUBLIC_KEY, UUID } from './helpers.js';

interface DemoKey {
  orgId: string;
  publicKey: string;
  privateKey: string;
}
interface DemoUser {
  username: string;
  password: string;
  role: string;
  orgId: string;
}
interface Demo {
  source: DemoKey;
  target: DemoKey;
  users: DemoUser[];
  atlasProject: { orgId: string; projectId: string; name: string };
  migrationHost: { projectId: string; hostname: string; publicKey: string; privateKey: string };
}

describe('livelink init', () => {
  let data = '';
  inFreshDataDirEachTest((dir) => {
    data = dir;
  });

  it('sets up the demo once: a second run prints the same credentials and creates nothing', async () => {
    const first = await cli(['init', '--json', '--data', data]);
    assert.equal(first.code, 0);
    assert.equal(first.stderr, '');
    const demo = JSON.parse(first.stdout) as Demo;
    assert.deepEqual(Object.keys(demo), ['source', 'target', 'users', 'atlasProject', 'migrationHost']);
    assert.deepEqual(
      demo.users.map((u) => [u.username, u.role, u.orgId]),
      [
        ['source-owner', 'ORG_OWNER', demo.source.orgId],
        ['source-viewer', 'ORG_READ_ONLY', demo.source.orgId],
        ['target-owner', 'ORG_OWNER', demo.target.orgId],
      ],
    );
    for (const user of demo.users) assert.match(user.password, /^[A-Za-z0-9_-]{16}$/);
    for (const key of [demo.source, demo.target]) {
      assert.deepEqual(Object.keys(key), ['orgId', 'publicKey', 'privateKey']);
      assert.match(key.orgId, OBJECT_ID);
      assert.match(key.publicKey, PUBLIC_KEY);
      assert.match(key.privateKey, UUID);
      assert.equal(await keyAuthenticates(data, key.publicKey, key.privateKey), true);
    }

    assert.deepEqual(Object.keys(demo.migrationHost), ['projectId', 'hostname', 'publicKey', 'privateKey']);
    assert.equal(demo.migrationHost.hostname, 'migration-host-1.example.internal');
    assert.match(demo.migrationHost.publicKey, PUBLIC_KEY);
    assert.equal(await keyAuthenticates(data, demo.migrationHost.publicKey, demo.migrationHost.privateKey), true);
    assert.deepEqual(Object.keys(demo.atlasProject), ['orgId', 'projectId', 'name']);
    assert.equal(demo.atlasProject.orgId, demo.target.orgId);
    assert.equal(demo.atlasProject.name, 'Demo Atlas Project');

    const second = await cli(['init', '--json', '--data', data]);
    assert.deepEqual(second, first);

    const orgs = await cliJson<Organization[]>(['org', 'list', '--data', data]);
    assert.deepEqual(
      orgs.map((o) => [o.id, o.name, o.requireAccessList]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      [
        [demo.target.orgId, 'Demo Atlas Organization', false],
        [demo.source.orgId, 'Demo Ops Manager Organization', false],
      ],
    );
    const keysOf = async (orgId: string): Promise<unknown[][]> =>
      (await cliJson<ApiKey[]>(['apikey', 'list', '--org', orgId, '--data', data]))
        .map((k) => [k.publicKey, k.roles, k.accessList])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    assert.deepEqual(await keysOf(demo.target.orgId), [[demo.target.publicKey, ['ORG_OWNER'], []]]);
    // The migration host's key is in the source organization, with the host's role only.
    assert.deepEqual(await keysOf(demo.source.orgId), [
      [demo.migrationHost.publicKey, ['ORG_MIGRATION_HOST'], []],
      [demo.source.publicKey, ['ORG_OWNER'], []],
    ]);

    const file = join(data, 'demo-credentials.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), demo);
  });

  it('creates the demo project, deployment and migration host in the source organization, and an Atlas project in the target', async () => {
    const demo = await cliJson<Demo>(['init', '--data', data]);
    await cliJson<Demo>(['init', '--data', data]);
    const projects = await cliJson<Project[]>(['project', 'list', '--org', demo.source.orgId, '--data', data]);
    assert.deepEqual(
      projects.map((p) => [p.name, p.orgId]),
      [['Demo Project', demo.source.orgId]],
    );
    const projectId = projects[0]?.id ?? '';
    const deployments = await cliJson<Deployment[]>(['deployment', 'list', '--project', projectId, '--data', data]);
    assert.deepEqual(deployments, [
      {
        id: deployments[0]?.id,
        projectId,
        name: 'rs-demo',
        mongoDBVersion: '6.0.14',
        featureCompatibilityVersion: '6.0',
        managed: true,
        sharded: false,
        shardsSize: null,
        tlsEnabled: false,
        agentVersion: '12.0.33.7866-1',
        dbSizeBytes: 1073741824,
        oplogSizeMB: 2048,
        hasConnectionString: false,
        connectionString: null,
      },
    ]);
    assert.deepEqual(await cliJson<unknown[]>(['migration-host', 'list', '--project', projectId, '--data', data]), [
      { projectId, hostname: 'migration-host-1.example.internal' },
    ]);
    assert.equal(demo.migrationHost.projectId, projectId);
    const atlasProjects = await cliJson<Project[]>(['project', 'list', '--org', demo.target.orgId, '--data', data]);
    assert.deepEqual(
      atlasProjects.map((p) => [p.id, p.name, p.orgId]),
      [[demo.atlasProject.projectId, 'Demo Atlas Project', demo.target.orgId]],
    );
  });

  it('prints a readable block, saying whether it set the demo up or found it', async () => {
    const file = join(data, 'demo-credentials.json');
    const first = await cli(['init', '--data', data]);
    assert.equal(first.code, 0);
    const demo = JSON.parse(readFileSync(file, 'utf8')) as Demo;
    const block = (word: string): string =>
      [
        `${word} ${file}`,
        '',
        'Source (Ops Manager): Demo Ops Manager Organization',
        `  org id       ${demo.source.orgId}`,
        `  public key   ${demo.source.publicKey}`,
        `  private key  ${demo.source.privateKey}`,
        '',
        'Target (Atlas): Demo Atlas Organization',
        `  org id       ${demo.target.orgId}`,
        `  project id   ${demo.atlasProject.projectId} (Demo Atlas Project)`,
        `  public key   ${demo.target.publicKey}`,
        `  private key  ${demo.target.privateKey}`,
        '',
        'Migration host migration-host-1.example.internal of Demo Project (its own key):',
        `  project id   ${demo.migrationHost.projectId}`,
        `  public key   ${demo.migrationHost.publicKey}`,
        `  private key  ${demo.migrationHost.privateKey}`,
        '',
        'Web page users (sign in at /login of the served URL):',
        `  source-owner   password ${demo.users[0]?.password}  Organization Owner, Demo Ops Manager Organization`,
        `  source-viewer  password ${demo.users[1]?.password}  Organization Read Only, Demo Ops Manager Organization`,
        `  target-owner   password ${demo.users[2]?.password}  Organization Owner, Demo Atlas Organization`,
        '',
        'Serve them with `livelink serve` (or `npm start`, which also prints the curl commands to try).',
        '',
      ].join('\n');
    assert.deepEqual(first, { code: 0, stdout: block('Demo set up; credentials saved in'), stderr: '' });
    assert.deepEqual(await cli(['init', '--data', data]), { code: 0, stdout: block('Demo already set up; credentials from'), stderr: '' });
  });

  it('without its credentials file, reuses the demo organizations and makes new keys', async () => {
    const file = join(data, 'demo-credentials.json');
    const before = await cliJson<Demo>(['init', '--data', data]);
    rmSync(file);
    const after = await cliJson<Demo>(['init', '--data', data]);
    assert.equal(after.source.orgId, before.source.orgId);
    assert.equal(after.target.orgId, before.target.orgId);
    assert.notEqual(after.source.publicKey, before.source.publicKey);
    assert.notEqual(after.target.publicKey, before.target.publicKey);
    // The host's private key went with the file: the host gets a new key, and the old one is gone.
    assert.equal(after.migrationHost.projectId, before.migrationHost.projectId);
    assert.notEqual(after.migrationHost.publicKey, before.migrationHost.publicKey);
    assert.equal(await keyAuthenticates(data, after.migrationHost.publicKey, after.migrationHost.privateKey), true);
    assert.equal(await keyAuthenticates(data, before.migrationHost.publicKey, before.migrationHost.privateKey), false);
    assert.deepEqual(after.atlasProject, before.atlasProject);
    assert.equal(await keyAuthenticates(data, after.target.publicKey, after.target.privateKey), true);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), after);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal((await cliJson<Organization[]>(['org', 'list', '--data', data])).length, 2);
    assert.equal((await cliJson<Project[]>(['project', 'list', '--org', after.source.orgId, '--data', data])).length, 1);
  });

  it('completes a credentials file written before live migrations: the Atlas project and the host key are added', async () => {
    const file = join(data, 'demo-credentials.json');
    const before = await cliJson<Demo>(['init', '--data', data]);
    const { atlasProject: _project, migrationHost: _host, ...older } = before;
    writeFileSync(file, JSON.stringify(older));
    const after = await cliJson<Demo>(['init', '--data', data]);
    assert.deepEqual([after.source, after.target, after.users], [before.source, before.target, before.users]);
    assert.deepEqual(after.atlasProject, before.atlasProject);
    assert.equal(await keyAuthenticates(data, after.migrationHost.publicKey, after.migrationHost.privateKey), true);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), after);
    assert.equal((await cliJson<Project[]>(['project', 'list', '--org', after.target.orgId, '--data', data])).length, 1);
  });

  it('exits 1 on a credentials file that is not one', async () => {
    const file = join(data, 'demo-credentials.json');
    writeFileSync(file, '{"source": 1}');
    assert.deepEqual(await cli(['init', '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink init: ${file} is not a livelink demo credentials file; remove it to set the demo up again\n`,
    });
  });
});
