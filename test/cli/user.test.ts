import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { createLivelink } from '../../src/app/livelink.js';
import { runCli } from '../../src/cli/cli.js';
import { loadConfig } from '../../src/config/config.js';
import { cli, cliJson, inFreshDataDirEachTest, ISO_DATE, OBJECT_ID, testIo } from './helpers.js';

interface UserJson {
  id: string;
  orgId: string;
  username: string;
  role: string;
  createdAt: string;
}

describe('livelink user', () => {
  let data = '';
  let orgId: string;
  inFreshDataDirEachTest(async (dir) => {
    data = dir;
    orgId = (await cliJson<{ id: string }>(['org', 'create', '--name', 'Ops Org', '--data', data])).id;
  });

  const signsIn = async (username: string, password: string): Promise<boolean> => {
    const livelink = await createLivelink(loadConfig({ flags: { data }, env: {} }), { logger: pino({ level: 'silent' }) });
    try {
      return (await livelink.services.users.verify(username, password)) !== undefined;
    } finally {
      await livelink.close();
    }
  };

  it('creates a user with the password from standard input, and lists it without the password', async () => {
    const io = { ...testIo(), stdin: Readable.from(['s3cret pass\n']) };
    const code = await runCli(
      ['user', 'create', '--org', orgId, '--username', 'Ana', '--role', 'ORG_OWNER', '--password-stdin', '--json', '--data', data],
      io,
    );
    assert.equal(io.stderr.text, '');
    assert.equal(code, 0);
    const user = JSON.parse(io.stdout.text) as UserJson;
    assert.deepEqual(Object.keys(user), ['id', 'orgId', 'username', 'role', 'createdAt']);
    assert.match(user.id, OBJECT_ID);
    assert.match(user.createdAt, ISO_DATE);
    assert.deepEqual([user.orgId, user.username, user.role], [orgId, 'ana', 'ORG_OWNER']);
    assert.equal(await signsIn('ana', 's3cret pass'), true, 'the newline is not part of the password');
    assert.deepEqual(await cliJson<UserJson[]>(['user', 'list', '--org', orgId, '--data', data]), [user]);
    const text = await cli(['user', 'list', '--org', orgId, '--data', data]);
    assert.equal(
      text.stdout,
      `ID                        USERNAME  ROLE       CREATED\n${user.id}  ana       ORG_OWNER  ${user.createdAt}\n`,
    );
  });

  it('creates a user with --password, in text', async () => {
    const result = await cli([
      'user',
      'create',
      '--org',
      orgId,
      '--username',
      'viewer',
      '--role',
      'ORG_READ_ONLY',
      '--password',
      'viewer pass',
      '--data',
      data,
    ]);
    assert.deepEqual(result, { code: 0, stdout: `Created user viewer (Organization Read Only) in organization ${orgId}\n`, stderr: '' });
    assert.equal(await signsIn('viewer', 'viewer pass'), true);
  });

  it('exits 2 on a wrong command line and 1 on what the service refuses', async () => {
    const base = ['user', 'create', '--org', orgId, '--username', 'bob', '--data', data];
    assert.deepEqual(await cli([...base, '--role', 'ORG_LIVE_MIGRATION_LINK', '--password', 'password1']), {
      code: 2,
      stdout: '',
      stderr:
        'livelink user create: --role must be one of ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY (got "ORG_LIVE_MIGRATION_LINK") (see livelink user create --help)\n',
    });
    assert.equal((await cli([...base, '--role', 'ORG_OWNER'])).code, 2);
    assert.equal((await cli([...base, '--role', 'ORG_OWNER', '--password', 'x', '--password-stdin'])).code, 2);
    assert.deepEqual(await cli([...base, '--role', 'ORG_OWNER', '--password', 'short']), {
      code: 1,
      stdout: '',
      stderr: 'livelink user create: Invalid attribute password specified: a password has 8 to 256 characters.\n',
    });
    assert.equal((await cli([...base, '--role', 'ORG_OWNER', '--password', 'password1'])).code, 0);
    assert.deepEqual(await cli([...base, '--role', 'ORG_MEMBER', '--password', 'password2']), {
      code: 1,
      stdout: '',
      stderr: 'livelink user create: A user with username bob already exists.\n',
    });
    const missing = 'ffffffffffffffffffffffff';
    assert.deepEqual(await cli(['user', 'list', '--org', missing, '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink user list: No organization with ID ${missing} exists.\n`,
    });
  });

  it('the demo set-up makes users that sign in, and keeps them on later runs', async () => {
    const demo = await cliJson<{ users: { username: string; password: string }[] }>(['init', '--data', data]);
    assert.deepEqual(
      demo.users.map((u) => u.username),
      ['source-owner', 'source-viewer', 'target-owner'],
    );
    for (const user of demo.users) assert.equal(await signsIn(user.username, user.password), true, user.username);
    assert.deepEqual((await cliJson<{ users: unknown[] }>(['init', '--data', data])).users, demo.users);
  });
});
