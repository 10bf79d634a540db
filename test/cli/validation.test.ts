import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDataDir } from './helpers.js';

const ID = '65f0c0ffee0123456789abcd';

/**
 * Bad flag values exit 2 with one line naming the flag, before the data folder is opened: the folder
 * given with --data must still not exist afterwards.
 */
describe('flag validation', () => {
  const temp = tempDataDir();
  const data = join(temp.dir, 'never-created');
  before(() => assert.equal(existsSync(data), false));
  after(() => temp.remove());

  const usageCases: [string[], string][] = [
    [['org', 'create'], '--name is required'],
    [['org', 'create', '--name', '   '], '--name must have 1 to 64 characters (got 0)'],
    [['org', 'create', '--name', 'x'.repeat(65)], '--name must have 1 to 64 characters (got 65)'],
    [['org', 'set-require-access-list', '--org', ID], 'give --on or --off'],
    [['org', 'set-require-access-list', '--org', ID, '--on', '--off'], '--on and --off cannot be used together'],
    [['project', 'create', '--name', 'P'], '--org is required'],
    [['project', 'create', '--org', 'not-an-id', '--name', 'P'], '--org must be an id of 24 hex digits (got "not-an-id")'],
    [['project', 'list', '--org', `${ID}0`], `--org must be an id of 24 hex digits (got "${ID}0")`],
    [['deployment', 'create', '--project', ID, '--name', 'rs0', '--fcv', '6.0'], '--mongodb-version is required'],
    [
      ['deployment', 'create', '--project', ID, '--name', 'rs0', '--mongodb-version', 'banana', '--fcv', '6.0'],
      '--mongodb-version must look like 6.0.14 (got "banana")',
    ],
    [
      ['deployment', 'create', '--project', ID, '--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6'],
      '--fcv must look like 6.0 (got "6")',
    ],
    [
      ['deployment', 'create', '--project', ID, '--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--shards', 'two'],
      '--shards must be a whole number (got "two")',
    ],
    [
      ['deployment', 'create', '--project', ID, '--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--shards', '0'],
      '--shards must be at least 1 (got 0)',
    ],
    [
      ['deployment', 'create', '--project', ID, '--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--db-size-bytes=-5'],
      '--db-size-bytes must be a whole number (got "-5")',
    ],
    [
      ['deployment', 'create', '--project', ID, '--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--oplog-size-mb', '1.5'],
      '--oplog-size-mb must be a whole number (got "1.5")',
    ],
    [
      ['deployment', 'create', '--project', ID, '--name', 'rs0', '--mongodb-version', '6.0.14', '--fcv', '6.0', '--agent-version', 'a b'],
      '--agent-version is not a version: "a b"',
    ],
    [['deployment', 'update', '--id', ID], 'nothing to change: give at least one flag besides --id'],
    [['deployment', 'update', '--id', ID, '--tls', '--no-tls'], '--tls and --no-tls cannot be used together'],
    [['deployment', 'update', '--id', ID, '--managed', '--unmanaged'], '--managed and --unmanaged cannot be used together'],
    [['deployment', 'update', '--id', ID, '--not-sharded', '--shards', '2'], '--shards cannot be used with --not-sharded'],
    [['deployment', 'update', '--id', ID, '--sharded', '--not-sharded'], '--sharded and --not-sharded cannot be used together'],
    [['deployment', 'list', '--project', 'ABC'], '--project must be an id of 24 hex digits (got "ABC")'],
    [['migration-host', 'add', '--project', ID, '--hostname', 'bad host!'], '--hostname is not a host name: "bad host!"'],
    [['migration-host', 'remove', '--project', ID], '--hostname is required'],
    [['apikey', 'create', '--role', 'ORG_OWNER'], 'give --org ID or --global'],
    [['apikey', 'create', '--org', ID, '--global', '--role', 'ORG_OWNER'], '--org and --global cannot be used together'],
    [['apikey', 'create', '--org', ID], '--role is required'],
    [
      ['apikey', 'create', '--org', ID, '--role', 'GLOBAL_OWNER'],
      '--role must be one of ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY, ORG_LIVE_MIGRATION_LINK with --org (got "GLOBAL_OWNER")',
    ],
    [
      ['apikey', 'create', '--global', '--role', 'ORG_OWNER'],
      '--role must be one of GLOBAL_OWNER, GLOBAL_READ_ONLY with --global (got "ORG_OWNER")',
    ],
    [
      ['apikey', 'create', '--org', ID, '--role', 'ORG_OWNER', '--role', 'owner'],
      '--role must be one of ORG_OWNER, ORG_MEMBER, ORG_READ_ONLY, ORG_LIVE_MIGRATION_LINK with --org (got "owner")',
    ],
    [
      ['apikey', 'create', '--org', ID, '--role', 'ORG_OWNER', '--access-list', '10.0.0.1,300.1.1.1'],
      '--access-list is not an IP address or CIDR block: "300.1.1.1"',
    ],
    [
      ['apikey', 'create', '--org', ID, '--role', 'ORG_OWNER', '--description', 'd'.repeat(251)],
      '--description has more than 250 characters',
    ],
    [['apikey', 'list'], 'give --org ID or --global'],
    [
      ['apikey', 'set-access-list', '--id', ID, '--access-list', '10.0.0.0/33'],
      '--access-list is not an IP address or CIDR block: "10.0.0.0/33"',
    ],
    [['start', '--role', 'source'], '--role must be both with start (use `livelink serve --role ...` for one role)'],
  ];

  for (const [argv, message] of usageCases) {
    it(`${argv.join(' ')} → exit 2: ${message}`, async () => {
      const name = `livelink ${argv[0] === 'start' ? 'start' : `${argv[0]} ${argv[1]}`}`;
      const result = await cli([...argv, '--data', data]);
      assert.deepEqual(result, { code: 2, stdout: '', stderr: `${name}: ${message} (see ${name} --help)\n` });
      assert.equal(existsSync(data), false, 'the data folder was opened');
    });
  }

  const configCases: [string[], string][] = [
    [['serve', '--port', '99999'], '--port must be between 0 and 65535 (got 99999)'],
    [['serve', '--port', 'http'], '--port must be a whole number (got "http")'],
    [['serve', '--role', 'source'], '--target-url is required with --role source: the source must know where the target API is'],
    [['serve', '--role', 'primary'], '--role must be both, source or target (got "primary")'],
    [['serve', '--log-level', 'loud'], '--log-level must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [['start', '--trusted-proxy', 'nowhere'], '--trusted-proxy is not an IP address or CIDR block: "nowhere"'],
  ];

  for (const [argv, message] of configCases) {
    it(`${argv.join(' ')} → exit 2 (configuration): ${message}`, async () => {
      const result = await cli([...argv, '--data', data]);
      assert.deepEqual(result, { code: 2, stdout: '', stderr: `livelink ${argv[0]}: ${message}\n` });
      assert.equal(existsSync(data), false, 'the data folder was opened');
    });
  }

  it('reads LIVELINK_PORT through loadConfig and names it when wrong', async () => {
    const result = await cli(['serve', '--data', data], { LIVELINK_PORT: '-1' });
    assert.deepEqual(result, { code: 2, stdout: '', stderr: 'livelink serve: --port must be a whole number (got "-1")\n' });
  });
});
