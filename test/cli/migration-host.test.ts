import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiKey } from '../../src/features/api-keys/api-key.js';
import type { Organization, Project } from '../../src/features/organizations/organization.js';
import { cli, cliJson, inFreshDataDirEachTest, keyAuthenticates, PUBLIC_KEY, UUID } from './helpers.js';

interface HostJson {
  projectId: string;
  hostname: string;
}

interface AddedHostJson extends HostJson {
  apiKey: { publicKey: string; privateKey: string } | null;
}

describe('livelink migration-host', () => {
  let data = '';
  let org: Organization;
  let project: Project;
  inFreshDataDirEachTest(async (dir) => {
    data = dir;
    org = await cliJson<Organization>(['org', 'create', '--name', 'Acme', '--data', data]);
    project = await cliJson<Project>(['project', 'create', '--org', org.id, '--name', 'Payments', '--data', data]);
  });

  const host = <T = HostJson>(verb: string, hostname: string): Promise<T> =>
    cliJson<T>(['migration-host', verb, '--project', project.id, '--hostname', hostname, '--data', data]);
  const list = (): Promise<HostJson[]> => cliJson<HostJson[]>(['migration-host', 'list', '--project', project.id, '--data', data]);
  const keys = (): Promise<ApiKey[]> => cliJson<ApiKey[]>(['apikey', 'list', '--org', org.id, '--data', data]);

  it('adds hosts (twice is once), lists them, and removes one (--json round trip)', async () => {
    assert.deepEqual(await list(), []);
    const added = await host<AddedHostJson>('add', 'mh2.example.internal');
    assert.deepEqual({ ...added, apiKey: null }, { projectId: project.id, hostname: 'mh2.example.internal', apiKey: null });
    assert.ok(added.apiKey !== null, 'a new host comes with its key');
    await host('add', 'mh1.example.internal');
    assert.deepEqual(await host('add', 'mh2.example.internal'), { projectId: project.id, hostname: 'mh2.example.internal', apiKey: null });
    assert.deepEqual(await list(), [
      { projectId: project.id, hostname: 'mh1.example.internal' },
      { projectId: project.id, hostname: 'mh2.example.internal' },
    ]);

    assert.deepEqual(await host('remove', 'mh2.example.internal'), { projectId: project.id, hostname: 'mh2.example.internal' });
    assert.deepEqual(await list(), [{ projectId: project.id, hostname: 'mh1.example.internal' }]);
  });

  it("creates the host's API key once, bound to the host, and deletes it with the host", async () => {
    const added = await host<AddedHostJson>('add', 'mh1.example.internal');
    const apiKey = added.apiKey;
    assert.ok(apiKey !== null);
    assert.match(apiKey.publicKey, PUBLIC_KEY);
    assert.match(apiKey.privateKey, UUID);
    assert.ok(await keyAuthenticates(data, apiKey.publicKey, apiKey.privateKey), 'the printed private key is the real one');
    const [stored, ...others] = await keys();
    assert.deepEqual(others, []);
    assert.equal(stored?.publicKey, apiKey.publicKey);
    assert.deepEqual(stored?.roles, ['ORG_MIGRATION_HOST']);
    assert.equal(stored?.orgId, org.id, "in the project's organization");

    // Once: adding it again prints no key and makes none.
    assert.equal((await host<AddedHostJson>('add', 'mh1.example.internal')).apiKey, null);
    assert.equal((await keys()).length, 1);

    await host('remove', 'mh1.example.internal');
    assert.deepEqual(await keys(), [], 'removing the host deletes its key');
    assert.equal(await keyAuthenticates(data, apiKey.publicKey, apiKey.privateKey), false);

    // Added again: a new host, a new key.
    const again = await host<AddedHostJson>('add', 'mh1.example.internal');
    assert.ok(again.apiKey !== null && again.apiKey.publicKey !== apiKey.publicKey);
  });

  it('exits 1 when removing a host the project does not have', async () => {
    assert.deepEqual(
      await cli(['migration-host', 'remove', '--project', project.id, '--hostname', 'ghost.example.internal', '--data', data]),
      {
        code: 1,
        stdout: '',
        stderr: `livelink migration-host remove: project ${project.id} has no migration host ghost.example.internal.\n`,
      },
    );
  });

  it('exits 1 with the detail for an unknown project', async () => {
    const missing = '65f0c0ffee0123456789abcd';
    for (const verb of ['add', 'remove']) {
      assert.deepEqual(await cli(['migration-host', verb, '--project', missing, '--hostname', 'mh1', '--data', data]), {
        code: 1,
        stdout: '',
        stderr: `livelink migration-host ${verb}: No group with ID ${missing} exists.\n`,
      });
    }
    assert.deepEqual(await cli(['migration-host', 'list', '--project', missing, '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink migration-host list: No group with ID ${missing} exists.\n`,
    });
  });

  it('prints text without --json', async () => {
    const added = await cli(['migration-host', 'add', '--project', project.id, '--hostname', 'mh1.example.internal', '--data', data]);
    assert.equal(added.code, 0);
    assert.equal(added.stderr, '');
    const printed =
      /^Migration host mh1\.example\.internal is in project ([0-9a-f]{24})\. Its API key:\n {2}public key {3}([a-z]{8})\n {2}private key {2}(\S+)\nThe private key will not be shown again: keep it now\. Run the host with it:\n {2}LIVELINK_MIGRATION_HOST_KEY=([a-z]{8}):<private key> livelink migration-host run --source-url URL \\\n {4}--group ([0-9a-f]{24}) --hostname mh1\.example\.internal --state-dir DIR\n$/.exec(
        added.stdout,
      );
    assert.ok(printed !== null, added.stdout);
    assert.equal(printed[1], project.id);
    assert.equal(printed[4], printed[2]);
    assert.equal(printed[5], project.id);
    assert.ok(await keyAuthenticates(data, printed[2] ?? '', printed[3] ?? ''));
    assert.deepEqual(await cli(['migration-host', 'add', '--project', project.id, '--hostname', 'mh1.example.internal', '--data', data]), {
      code: 0,
      stdout: `Migration host mh1.example.internal is in project ${project.id}, with its API key (not shown again).\n`,
      stderr: '',
    });
    assert.deepEqual(await cli(['migration-host', 'list', '--project', project.id, '--data', data]), {
      code: 0,
      stdout: 'HOSTNAME\nmh1.example.internal\n',
      stderr: '',
    });
  });
});

describe('livelink migration-host run', () => {
  const base = [
    'migration-host',
    'run',
    '--source-url',
    'https://om.example.com',
    '--group',
    '65f0c0ffee0123456789abcd',
    '--hostname',
    'mh1',
  ];
  const refused = async (argv: string[], message: string, env: Record<string, string> = {}): Promise<void> => {
    assert.deepEqual(await cli(argv, env), {
      code: 2,
      stdout: '',
      stderr: `livelink migration-host run: ${message} (see livelink migration-host run --help)\n`,
    });
  };

  it('needs the key, from --key or LIVELINK_MIGRATION_HOST_KEY, as PUBLIC:PRIVATE', async () => {
    await refused([...base, '--state-dir', 'x'], '--key (or LIVELINK_MIGRATION_HOST_KEY) is required');
    await refused(
      [...base, '--state-dir', 'x', '--key', 'nocolon'],
      'the key must be PUBLIC:PRIVATE (--key or LIVELINK_MIGRATION_HOST_KEY)',
    );
    await refused([...base, '--state-dir', 'x'], 'the key must be PUBLIC:PRIVATE (--key or LIVELINK_MIGRATION_HOST_KEY)', {
      LIVELINK_MIGRATION_HOST_KEY: 'abcdefgh:',
    });
  });

  it('refuses a source URL that is not a base URL, an id that is not one, and values out of range', async () => {
    const rest = ['--group', '65f0c0ffee0123456789abcd', '--hostname', 'mh1', '--state-dir', 'x', '--key', 'a:b'];
    await refused(['migration-host', 'run', '--source-url', 'om.example.com', ...rest], '--source-url is not a URL: "om.example.com"');
    await refused(
      ['migration-host', 'run', '--source-url', 'ftp://om.example.com', ...rest],
      '--source-url must be an http:// or https:// URL',
    );
    await refused(
      ['migration-host', 'run', '--source-url', 'https://k:s@om.example.com', ...rest],
      '--source-url must not carry credentials: give the key with --key',
    );
    await refused(
      ['migration-host', 'run', '--source-url', 'https://om.example.com', ...rest.slice(2), '--group', 'nope'],
      '--group must be an id of 24 hex digits (got "nope")',
    );
    await refused(
      [...base, '--state-dir', 'x', '--key', 'a:b', '--poll-interval', '0'],
      '--poll-interval must be a number from 0.05 to 3600 (got "0")',
    );
    await refused([...base, '--state-dir', 'x', '--key', 'a:b', '--batch-size', '2.5'], '--batch-size must be a whole number');
    await refused([...base, '--key', 'a:b'], '--state-dir is required');
  });

  it('documents no --data: the host keeps no database', async () => {
    const help = await cli(['migration-host', 'run', '--help']);
    assert.equal(help.code, 0);
    assert.doesNotMatch(help.stdout, /--data|--database-url/);
    assert.match(help.stdout, /\n {2}--state-dir DIR +where the checkpoints are kept\n/);
  });
});
