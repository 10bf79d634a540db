import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLivelink, type Livelink } from '../../src/app/livelink.js';
import { loadConfig } from '../../src/config/config.js';
import type { Deployment as DeploymentFacts, Organization, Project } from '../../src/features/organizations/organization.js';
import { cli, cliJson, inFreshDataDirEachTest, OBJECT_ID } from './helpers.js';

/** A deployment as the CLI prints it: its facts, and its connection string with the password masked. */
type Deployment = DeploymentFacts & { hasConnectionString: boolean; connectionString: string | null };

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
      hasConnectionString: false,
      connectionString: null,
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
      hasConnectionString: false,
      connectionString: null,
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
      stdout: `ID                        NAME  VERSION  FCV  SHARDS  TLS  MANAGED  CONNECTION STRING\n${rs0.id}  rs0   6.0.14   6.0  -       yes  yes      -\n`,
      stderr: '',
    });
  });

  describe('connection strings', () => {
    const PASSWORD = 'pw-9b6c1e0f';
    const URI = `mongodb://migrator:${PASSWORD}@db1.example.internal:27017,db2.example.internal:27017/?replicaSet=rs0&authSource=admin`;
    const MASKED = 'mongodb://migrator:****@db1.example.internal:27017,db2.example.internal:27017/?replicaSet=rs0&authSource=admin';

    /** The data folder opened as the CLI opens it, for what only the services can tell. */
    async function opened<T>(work: (livelink: Livelink) => Promise<T>): Promise<T> {
      const livelink = await createLivelink(loadConfig({ flags: { data }, env: {} }), { logger: pino({ level: 'silent' }) });
      try {
        return await work(livelink);
      } finally {
        await livelink.close();
      }
    }

    /** Every byte of the data folder (the database, its WAL), to look for a password in clear. */
    function dataBytes(): string {
      return readdirSync(data)
        .filter((file) => file.startsWith('livelink.sqlite'))
        .map((file) => readFileSync(join(data, file)).toString('latin1'))
        .join('');
    }

    it('creates a deployment with one: shown masked, sealed at rest, opened only by connectionStringOf', async () => {
      const rs0 = await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--connection-string', URI);
      assert.equal(rs0.hasConnectionString, true);
      assert.equal(rs0.connectionString, MASKED);
      assert.deepEqual(await cliJson<Deployment[]>(['deployment', 'list', '--project', project.id, '--data', data]), [rs0]);
      const text = await cli(['deployment', 'list', '--project', project.id, '--data', data]);
      assert.match(text.stdout, new RegExp(`rs0 .* ${MASKED.replace(/[?*.]/g, '\\$&')}\n$`));
      assert.doesNotMatch(`${text.stdout}${text.stderr}`, new RegExp(PASSWORD));
      assert.ok(!dataBytes().includes(PASSWORD), 'the password is nowhere in the database files');
      assert.ok(!dataBytes().includes('db1.example.internal'), 'the whole string is sealed, hosts included');
      await opened(async ({ services }) => {
        assert.equal(await services.organizations.connectionStringOf(rs0.id), URI);
        assert.deepEqual(await services.organizations.findDeploymentByName(project.id, 'rs0'), {
          ...stripOutput(rs0),
        });
        assert.equal(await services.organizations.findDeploymentByName(project.id, 'rs1'), undefined);
        const inventory = await services.organizations.inventory(project.orgId);
        assert.doesNotMatch(JSON.stringify(inventory), /migrator|db1\.example|pw-/, 'no part of the inventory');
      });
    });

    it('sets, replaces and removes it with update, which alone changes no inventory version', async () => {
      const rs0 = await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0');
      const version = () => opened(async ({ services }) => (await services.organizations.inventory(project.orgId)).version);
      const before = await version();
      const update = (...flags: string[]) => cliJson<Deployment>(['deployment', 'update', '--id', rs0.id, ...flags, '--data', data]);
      assert.deepEqual(await update('--connection-string', URI), { ...rs0, hasConnectionString: true, connectionString: MASKED });
      assert.equal(await version(), before, 'the target is not told of a connection string');
      const srv = 'mongodb+srv://other:secret-2@cluster0.example.net/?retryWrites=true';
      assert.equal(
        (await update('--connection-string', srv)).connectionString,
        'mongodb+srv://other:****@cluster0.example.net/?retryWrites=true',
      );
      assert.equal(await opened(({ services }) => services.organizations.connectionStringOf(rs0.id)), srv);
      // A change of the facts keeps it.
      assert.equal((await update('--mongodb-version', '6.0.15')).hasConnectionString, true);
      assert.equal(await version(), before + 1);
      assert.deepEqual(await update('--no-connection-string'), { ...rs0, mongoDBVersion: '6.0.15' });
      assert.equal(await opened(({ services }) => services.organizations.connectionStringOf(rs0.id)), undefined);
      assert.equal(await version(), before + 1);
    });

    it('refuses a string that is not a MongoDB connection string (exit 2), never repeating its password', async () => {
      const rs0 = await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0');
      const cases: [string, RegExp][] = [
        ['http://user:hunter2@db.example.internal/', /starts with mongodb:\/\/ or mongodb\+srv:\/\//],
        ['mongodb://', /not a valid MongoDB connection string/],
        [
          'mongodb://user:hunter2@db.example.internal/?notAnOption=1',
          /not a connection string the MongoDB driver accepts: .*unsupported options/,
        ],
        ['mongodb://user:hunter2@db.example.internal/?tls=maybe', /tls\/ssl must be either "true" or "false"/],
        ['mongodb://user:hunter2@db.example.internal:99999/', /not a connection string the MongoDB driver accepts/],
        ['mongodb://user:hun@ter2@db.example.internal/', /not a valid MongoDB connection string: Invalid connection string/],
        ['mongodb://user:hun:ter2@db.example.internal/', /not a valid MongoDB connection string: Password contains unescaped characters/],
        ['mongodb+srv://user:hunter2@a.example.net:27017/', /mongodb\+srv URI cannot have port number/],
        ['', /a connection string is required/],
      ];
      for (const [uri, message] of cases) {
        const update = await cli(['deployment', 'update', '--id', rs0.id, '--connection-string', uri, '--data', data]);
        assert.equal(update.code, 2, uri);
        assert.equal(update.stdout, '', uri);
        assert.match(update.stderr, /^livelink deployment update: --connection-string: /, uri);
        assert.match(update.stderr, message, uri);
        assert.doesNotMatch(update.stderr, /hunter2|ter2/, `${uri}: ${update.stderr}`);
        const created = await cli([
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
          '--connection-string',
          uri,
          '--data',
          data,
        ]);
        assert.equal(created.code, 2, uri);
        assert.match(created.stderr, message, uri);
      }
      assert.equal(
        (await cli(['deployment', 'update', '--id', rs0.id, '--connection-string', URI, '--no-connection-string', '--data', data])).code,
        2,
      );
      assert.deepEqual(
        await cliJson<Deployment[]>(['deployment', 'list', '--project', project.id, '--data', data]),
        [rs0],
        'nothing changed',
      );
    });

    it('is refused by the service too (exit 1 for a caller that skipped the CLI check)', async () => {
      const rs0 = await create('--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0');
      await opened(async ({ services }) => {
        await assert.rejects(services.organizations.updateDeployment(rs0.id, {}, 'mongodb://u:hunter2@h/?bad=1'), (error: unknown) => {
          const { errorCode, detail, status } = error as { errorCode: string; detail: string; status: number };
          assert.equal(status, 400);
          assert.equal(errorCode, 'INVALID_ATTRIBUTE');
          assert.match(detail, /^Invalid attribute connectionString specified: not a connection string the MongoDB driver accepts: /);
          assert.doesNotMatch(detail, /hunter2/);
          return true;
        });
        await assert.rejects(services.organizations.updateDeployment('65f0c0ffee0123456789abcd', {}, URI), {
          errorCode: 'CLUSTER_NOT_FOUND',
        });
        assert.equal(await services.organizations.connectionStringOf(rs0.id), undefined);
      });
    });
  });
});

/** The Deployment the services return, from what the CLI printed. */
function stripOutput({ hasConnectionString: _has, connectionString: _string, ...deployment }: Deployment): DeploymentFacts {
  return deployment;
}
