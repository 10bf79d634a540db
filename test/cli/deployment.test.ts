import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, Organization, Project } from '../../src/features/organizations/organization.js';
import { cli, cliJson, inFreshDataDirEachTest, OBJECT_ID } from './helpers.js';

describe('livelink deployment', () => {
  let data = '';
  let project: Project;
  inFreshDataDirEachTest(async (dir) => {
    data = dir;
    const org = await cliJson<Organization>(['org', 'create', '--name', 'Acme', '--data', data]);
    project = await cliJson<Project>(['project', 'create', '--org', org.id, '--name', 'Payments', '--data', data]);
  });

  const create = (...flags: string[]): Promise<Deployment> =>
    cliJson<Deployment>(['deployment', 'create', '--project', project.id, ...flags, '--data', data]);

  it('creates a deployment with the defaults: managed, not sharded, TLS off, facts unknown', async () => {
    const rs0 = await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0');
    assert.match(rs0.id, OBJECT_ID);
    assert.deepEqual(rs0, {
      id: rs0.id,
      projectId: project.id,
      name: 'rs0',
      mongoDBVersion: '6.0.14',
      featureCompatibilityVersion: '6.0',
      managed: true,
      sharded: false,
      shardsSize: null,
      tlsEnabled: false,
      agentVersion: null,
      dbSizeBytes: null,
      oplogSizeMB: null,
    });
  });

  it('creates a deployment with every flag and lists it (--json round trip)', async () => {
    const cluster = await create(
      '--name',
      'cluster0',
      '--mongodb-version',
      '7.0.12-ent',
      '--fcv',
      '7.0',
      '--sharded',
      '--shards',
      '3',
      '--tls',
      '--unmanaged',
      '--agent-version',
      '107.0.12.8669-1',
      '--db-size-bytes',
      '5368709120',
      '--oplog-size-mb',
      '4096',
    );
    assert.deepEqual(cluster, {
      id: cluster.id,
      projectId: project.id,
      name: 'cluster0',
      mongoDBVersion: '7.0.12-ent',
      featureCompatibilityVersion: '7.0',
      managed: false,
      sharded: true,
      shardsSize: 3,
      tlsEnabled: true,
      agentVersion: '107.0.12.8669-1',
      dbSizeBytes: 5368709120,
      oplogSizeMB: 4096,
    });
    const rs0 = await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--shards', '2');
    assert.equal(rs0.sharded, true, '--shards implies --sharded');
    assert.equal(rs0.shardsSize, 2);
    assert.deepEqual(await cliJson<Deployment[]>(['deployment', 'list', '--project', project.id, '--data', data]), [cluster, rs0]);
  });

  it('updates only the fields given', async () => {
    const rs0 = await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--db-size-bytes', '100');
    const update = (...flags: string[]): Promise<Deployment> =>
      cliJson<Deployment>(['deployment', 'update', '--id', rs0.id, ...flags, '--data', data]);

    const upgraded = await update(
      '--mongodb-version',
      '7.0.12',
      '--fcv',
      '7.0',
      '--tls',
      '--unmanaged',
      '--shards',
      '4',
      '--agent-version',
      '107.0.1',
      '--oplog-size-mb',
      '2048',
    );
    const expected: Deployment = {
      ...rs0,
      mongoDBVersion: '7.0.12',
      featureCompatibilityVersion: '7.0',
      tlsEnabled: true,
      managed: false,
      sharded: true,
      shardsSize: 4,
      agentVersion: '107.0.1',
      oplogSizeMB: 2048,
    };
    assert.deepEqual(upgraded, expected);
    assert.deepEqual(await cliJson<Deployment[]>(['deployment', 'list', '--project', project.id, '--data', data]), [expected]);

    const back = await update('--name', 'rs-main', '--no-tls', '--managed', '--not-sharded', '--db-size-bytes', '0');
    assert.deepEqual(back, {
      ...expected,
      name: 'rs-main',
      tlsEnabled: false,
      managed: true,
      sharded: false,
      shardsSize: null,
      dbSizeBytes: 0,
    });
    assert.deepEqual(await cliJson<Deployment[]>(['deployment', 'list', '--project', project.id, '--data', data]), [back]);
  });

  it('exits 1 with the detail for an unknown deployment, project or a duplicate name', async () => {
    const missing = '65f0c0ffee0123456789abcd';
    assert.deepEqual(await cli(['deployment', 'update', '--id', missing, '--tls', '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink deployment update: No cluster with ID ${missing} exists.\n`,
    });
    assert.deepEqual(
      await cli([
        'deployment',
        'create',
        '--project',
        missing,
        '--name',
        'rs0',
        '--mongodb-version',
        '6.0.14',
        '--fcv',
        '6.0',
        '--data',
        data,
      ]),
      {
        code: 1,
        stdout: '',
        stderr: `livelink deployment create: No group with ID ${missing} exists.\n`,
      },
    );
    assert.deepEqual(await cli(['deployment', 'list', '--project', missing, '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink deployment list: No group with ID ${missing} exists.\n`,
    });
    await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0');
    const rs1 = await create('--name', 'rs1', '--mongodb-version', '6.0.14', '--fcv', '6.0');
    assert.deepEqual(
      await cli([
        'deployment',
        'create',
        '--project',
        project.id,
        '--name',
        'rs1',
        '--mongodb-version',
        '6.0.14',
        '--fcv',
        '6.0',
        '--data',
        data,
      ]),
      {
        code: 1,
        stdout: '',
        stderr: 'livelink deployment create: A deployment named rs1 already exists in this project.\n',
      },
    );
    assert.deepEqual(await cli(['deployment', 'update', '--id', rs1.id, '--name', 'rs0', '--data', data]), {
      code: 1,
      stdout: '',
      stderr: 'livelink deployment update: A deployment named rs0 already exists in this project.\n',
    });
  });

  it('prints a table without --json', async () => {
    const rs0 = await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--tls');
    const result = await cli(['deployment', 'list', '--project', project.id, '--data', data]);
    assert.deepEqual(result, {
      code: 0,
      stdout: `ID                        NAME  VERSION  FCV  SHARDS  TLS  MANAGED\n${rs0.id}  rs0   6.0.14   6.0  -       yes  yes\n`,
      stderr: '',
    });
  });
});
