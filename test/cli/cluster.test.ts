/**
 * `livelink cluster create|list|delete`: destination clusters of an Atlas project on the target, each a
 * real MongoDB server. create reads the version with buildInfo from a real SecantusDB, refuses a server
 * that does not answer, and never shows a password back; the ports other features use read them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { createLivelink, type Livelink } from '../../src/app/livelink.js';
import { loadConfig } from '../../src/config/config.js';
import type { Organization, Project } from '../../src/features/organizations/organization.js';
import { MONGODB_SERVERS_SKIP_REASON, startMongoServer, type MongoTestServer } from '../support/mongodb-servers.js';
import { cli, cliJson, inFreshDataDirEachTest, ISO_DATE, OBJECT_ID } from './helpers.js';

interface ClusterOutput {
  id: string;
  groupId: string;
  name: string;
  mongoDBVersion: string;
  createdAt: string;
  connectionString: string;
}

const PASSWORD = 'pw-5d2e77a1';
const OFFLINE = `mongodb://atlasAdmin:${PASSWORD}@cluster0-shard-00-00.example.net:27017/?replicaSet=atlas-abc-shard-0&tls=true`;
const OFFLINE_MASKED = 'mongodb://atlasAdmin:****@cluster0-shard-00-00.example.net:27017/?replicaSet=atlas-abc-shard-0&tls=true';

describe('livelink cluster', () => {
  let data = '';
  let project: Project;
  inFreshDataDirEachTest(async (dir) => {
    data = dir;
    const org = await cliJson<Organization>(['org', 'create', '--name', 'Atlas Org', '--data', data]);
    project = await cliJson<Project>(['project', 'create', '--org', org.id, '--name', 'Atlas Project', '--data', data]);
  });

  /** The data folder opened as the CLI opens it, for the ports the other features use. */
  async function opened<T>(work: (livelink: Livelink) => Promise<T>): Promise<T> {
    const livelink = await createLivelink(loadConfig({ flags: { data }, env: {} }), { logger: pino({ level: 'silent' }) });
    try {
      return await work(livelink);
    } finally {
      await livelink.close();
    }
  }

  const createOffline = (name: string, connectionString = OFFLINE) =>
    cliJson<ClusterOutput>([
      'cluster',
      'create',
      '--project',
      project.id,
      '--name',
      name,
      '--connection-string',
      connectionString,
      '--no-check',
      '--mongodb-version',
      '8.0.4',
      '--data',
      data,
    ]);

  describe('against a real server', { skip: MONGODB_SERVERS_SKIP_REASON }, () => {
    let server: MongoTestServer;
    let version: string;
    before(async () => {
      server = await startMongoServer();
      const client = new MongoClient(server.url);
      try {
        version = String((await client.db('admin').command({ buildInfo: 1 }))['version']);
      } finally {
        await client.close();
      }
    });
    after(() => server.stop());

    it("creates a cluster with the version the server's buildInfo reports", async () => {
      const created = await cliJson<ClusterOutput>([
        'cluster',
        'create',
        '--project',
        project.id,
        '--name',
        'Cluster0',
        '--connection-string',
        server.url,
        '--data',
        data,
      ]);
      assert.match(created.id, OBJECT_ID);
      assert.match(created.createdAt, ISO_DATE);
      assert.match(version, /^\d+\.\d+\.\d+/);
      assert.deepEqual(created, {
        id: created.id,
        groupId: project.id,
        name: 'Cluster0',
        mongoDBVersion: version,
        createdAt: created.createdAt,
        connectionString: server.url,
      });
      const text = await cli(['cluster', 'list', '--project', project.id, '--data', data]);
      assert.deepEqual(text, {
        code: 0,
        stdout:
          `NAME      ID                        VERSION${' '.repeat(Math.max(0, version.length - 7))}  CONNECTION STRING\n` +
          `Cluster0  ${created.id}  ${version.padEnd(7)}  ${server.url}\n`,
        stderr: '',
      });
    });

    it('reads buildInfo, and checks a string with the driver, in the installed entry point (the bundle) too', () => {
      // The bundle loads the driver as esbuild gives it, not as Node does: the check must work there as well.
      const root = fileURLToPath(new URL('../../', import.meta.url));
      if (!existsSync(join(root, 'dist', 'livelink.mjs')))
        execFileSync(process.execPath, ['scripts/bundle.js'], { cwd: root, stdio: 'inherit' });
      const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('LIVELINK_')));
      const livelink = (...args: string[]) =>
        spawnSync(process.execPath, ['bin/livelink.js', ...args, '--data', data], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
      const created = livelink(
        'cluster',
        'create',
        '--project',
        project.id,
        '--name',
        'Cluster0',
        '--connection-string',
        server.url,
        '--json',
      );
      assert.equal(created.stderr, '');
      assert.equal(created.status, 0);
      assert.equal((JSON.parse(created.stdout) as ClusterOutput).mongoDBVersion, version);
      const refused = livelink(
        'cluster',
        'create',
        '--project',
        project.id,
        '--name',
        'Cluster1',
        '--connection-string',
        `${server.url}&notAnOption=1`,
      );
      assert.equal(refused.status, 2);
      assert.match(refused.stderr, /not a connection string the MongoDB driver accepts: connection string contains unsupported options/);
    });

    it('refuses, exit 1, a server that does not answer within a few seconds, and stores nothing', async () => {
      // The port of a server that has stopped: nothing listens there any more.
      const gone = await startMongoServer();
      await gone.stop();
      const started = Date.now();
      const result = await cli([
        'cluster',
        'create',
        '--project',
        project.id,
        '--name',
        'Cluster0',
        '--connection-string',
        `mongodb://atlasAdmin:${PASSWORD}@127.0.0.1:${gone.port}/?replicaSet=secantus`,
        '--data',
        data,
      ]);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.match(
        result.stderr,
        new RegExp(
          `^livelink cluster create: could not read buildInfo from the MongoDB server at mongodb://127\\.0\\.0\\.1:${gone.port}/\\?replicaSet=secantus within 5 s: .+\\. Nothing was created \\(--no-check --mongodb-version V skips the check\\)\\.\\n$`,
        ),
      );
      assert.doesNotMatch(result.stderr, new RegExp(PASSWORD));
      assert.ok(Date.now() - started < 15_000, 'a few seconds, not the driver default of 30');
      assert.deepEqual(await cliJson<ClusterOutput[]>(['cluster', 'list', '--project', project.id, '--data', data]), []);
    });
  });

  it('with --no-check stores the version given, shows the password masked and keeps the string sealed', async () => {
    const created = await createOffline('Cluster0');
    assert.deepEqual(created, {
      id: created.id,
      groupId: project.id,
      name: 'Cluster0',
      mongoDBVersion: '8.0.4',
      createdAt: created.createdAt,
      connectionString: OFFLINE_MASKED,
    });
    const second = await createOffline('Analytics');
    assert.deepEqual(await cliJson<ClusterOutput[]>(['cluster', 'list', '--project', project.id, '--data', data]), [second, created]);
    const text = await cli([
      'cluster',
      'create',
      '--project',
      project.id,
      '--name',
      'Reporting',
      '--connection-string',
      OFFLINE,
      '--no-check',
      '--mongodb-version',
      '7.0.12',
      '--data',
      data,
    ]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^Created cluster Reporting \([0-9a-f]{24}\) in project [0-9a-f]{24}\n/);
    assert.match(text.stdout, /MongoDB version {4}7\.0\.12 \(as given\)\n/);
    assert.ok(text.stdout.includes(`connection string  ${OFFLINE_MASKED}\n`), text.stdout);
    const files = readdirSync(data).filter((file) => file.startsWith('livelink.sqlite'));
    const bytes = files.map((file) => readFileSync(join(data, file)).toString('latin1')).join('');
    assert.ok(!bytes.includes(PASSWORD), 'the password is nowhere in the database files');
    assert.ok(!bytes.includes('cluster0-shard-00-00'), 'the whole string is sealed');
  });

  it('serves the ports of docs/live-migrations.md: findByName and connectionString', async () => {
    const created = await createOffline('Cluster0');
    await opened(async ({ services }) => {
      assert.deepEqual(await services.clusters.findByName(project.id, 'Cluster0'), {
        id: created.id,
        groupId: project.id,
        name: 'Cluster0',
        mongoDBVersion: '8.0.4',
        createdAt: created.createdAt,
      });
      assert.equal(await services.clusters.findByName(project.id, 'Cluster1'), undefined);
      assert.equal(await services.clusters.findByName('65f0c0ffee0123456789abcd', 'Cluster0'), undefined);
      assert.equal(await services.clusters.connectionString(created.id), OFFLINE);
      assert.equal(await services.clusters.connectionString('65f0c0ffee0123456789abcd'), undefined);
    });
  });

  it('deletes a cluster, and exits 1 with Atlas words for one the project does not have', async () => {
    await createOffline('Cluster0');
    assert.deepEqual(await cli(['cluster', 'delete', '--project', project.id, '--name', 'Cluster0', '--data', data]), {
      code: 0,
      stdout: `Deleted cluster Cluster0 from project ${project.id}.\n`,
      stderr: '',
    });
    assert.deepEqual(await cli(['cluster', 'delete', '--project', project.id, '--name', 'Cluster0', '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink cluster delete: No cluster named Cluster0 exists in group ${project.id}.\n`,
    });
    assert.deepEqual(await cli(['cluster', 'list', '--project', project.id, '--data', data]), {
      code: 0,
      stdout: `No clusters in project ${project.id}.\n`,
      stderr: '',
    });
  });

  it('exits 1 with the detail for a duplicate name, a name Atlas refuses or an unknown project', async () => {
    await createOffline('Cluster0');
    const create = (projectId: string, name: string) =>
      cli([
        'cluster',
        'create',
        '--project',
        projectId,
        '--name',
        name,
        '--connection-string',
        OFFLINE,
        '--no-check',
        '--mongodb-version',
        '8.0.4',
        '--data',
        data,
      ]);
    assert.deepEqual(await create(project.id, 'Cluster0'), {
      code: 1,
      stdout: '',
      stderr: `livelink cluster create: A cluster named Cluster0 already exists in group ${project.id}.\n`,
    });
    for (const name of ['café', 'edge-', 'has space', 'a'.repeat(65), 'dots.in.name']) {
      assert.deepEqual(
        await create(project.id, name),
        {
          code: 1,
          stdout: '',
          stderr:
            'livelink cluster create: Invalid attribute name specified: a cluster name has 1 to 64 letters, digits and hyphens, and neither starts nor ends with a hyphen.\n',
        },
        name,
      );
    }
    const missing = '65f0c0ffee0123456789abcd';
    assert.deepEqual(await create(missing, 'Cluster1'), {
      code: 1,
      stdout: '',
      stderr: `livelink cluster create: No group with ID ${missing} exists.\n`,
    });
    assert.deepEqual(await cli(['cluster', 'list', '--project', missing, '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink cluster list: No group with ID ${missing} exists.\n`,
    });
    assert.equal((await cliJson<ClusterOutput[]>(['cluster', 'list', '--project', project.id, '--data', data])).length, 1);
  });

  it('exits 2 for a malformed connection string or version, or --no-check without --mongodb-version (and the reverse)', async () => {
    const create = (...flags: string[]) =>
      cli(['cluster', 'create', '--project', project.id, '--name', 'Cluster0', ...flags, '--data', data]);
    const cases: [string[], string][] = [
      [
        ['--connection-string', `https://atlasAdmin:${PASSWORD}@example.net/`],
        '--connection-string: a connection string starts with mongodb:// or mongodb+srv://',
      ],
      [
        ['--connection-string', `mongodb://atlasAdmin:${PASSWORD}@h/?notAnOption=1`, '--no-check', '--mongodb-version', '8.0.4'],
        '--connection-string: not a connection string the MongoDB driver accepts: connection string contains unsupported options, at position: 1',
      ],
      [['--connection-string', OFFLINE, '--no-check'], '--no-check needs --mongodb-version: the version is not read from the server'],
      [
        ['--connection-string', OFFLINE, '--mongodb-version', '8.0.4'],
        '--mongodb-version is only for --no-check: the version is read from the server',
      ],
      [
        ['--connection-string', OFFLINE, '--no-check', '--mongodb-version', 'eight'],
        '--mongodb-version must look like 8.0.4 (got "eight")',
      ],
      [['--no-check', '--mongodb-version', '8.0.4'], '--connection-string is required'],
    ];
    for (const [flags, message] of cases) {
      assert.deepEqual(
        await create(...flags),
        {
          code: 2,
          stdout: '',
          stderr: `livelink cluster create: ${message} (see livelink cluster create --help)\n`,
        },
        flags.join(' '),
      );
    }
    assert.deepEqual(await cliJson<ClusterOutput[]>(['cluster', 'list', '--project', project.id, '--data', data]), []);
  });
});
