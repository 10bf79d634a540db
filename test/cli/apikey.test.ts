import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiKey } from '../../src/features/api-keys/api-key.js';
import type { Organization } from '../../src/features/organizations/organization.js';
import { cli, cliJson, inFreshDataDirEachTest, ISO_DATE, keyAuthenticates, OBJECT_ID, PUBLIC_KEY, UUID } from './helpers.js';

interface CreatedKeyJson {
  id: string;
  publicKey: string;
  privateKey: string;
  orgId: string | null;
  roles: string[];
  accessList: string[];
}

describe('livelink apikey', () => {
  let data = '';
  let org: Organization;
  inFreshDataDirEachTest(async (dir) => {
    data = dir;
    org = await cliJson<Organization>(['org', 'create', '--name', 'Acme', '--data', data]);
  });

  it('creates an organization key, shows the private key once, and lists the key without it', async () => {
    const created = await cliJson<CreatedKeyJson>([
      'apikey',
      'create',
      '--org',
      org.id,
      '--role',
      'ORG_OWNER',
      '--role',
      'ORG_READ_ONLY',
      '--role',
      'ORG_OWNER',
      '--access-list',
      '203.0.113.10',
      '--access-list',
      '198.51.100.0/24, 2001:DB8::/32',
      '--description',
      'CI pipeline',
      '--data',
      data,
    ]);
    assert.deepEqual(Object.keys(created), ['id', 'publicKey', 'privateKey', 'orgId', 'roles', 'accessList']);
    assert.match(created.id, OBJECT_ID);
    assert.match(created.publicKey, PUBLIC_KEY);
    assert.match(created.privateKey, UUID);
    assert.equal(created.orgId, org.id);
    assert.deepEqual(created.roles, ['ORG_OWNER', 'ORG_READ_ONLY']);
    assert.deepEqual(created.accessList, ['203.0.113.10', '198.51.100.0/24', '2001:db8::/32']);
    assert.equal(await keyAuthenticates(data, created.publicKey, created.privateKey), true);
    assert.equal(await keyAuthenticates(data, created.publicKey, '00000000-0000-4000-8000-000000000000'), false);

    const listed = await cliJson<ApiKey[]>(['apikey', 'list', '--org', org.id, '--data', data]);
    assert.equal(listed.length, 1);
    const [key] = listed;
    assert.match(key?.createdAt ?? '', ISO_DATE);
    assert.deepEqual(key, {
      id: created.id,
      publicKey: created.publicKey,
      orgId: org.id,
      description: 'CI pipeline',
      roles: ['ORG_OWNER', 'ORG_READ_ONLY'],
      // The store keeps entries sorted.
      accessList: ['198.51.100.0/24', '2001:db8::/32', '203.0.113.10'],
      createdAt: key?.createdAt,
    });
    assert.deepEqual(await cliJson<ApiKey[]>(['apikey', 'list', '--global', '--data', data]), []);
  });

  it('creates a global key apart from the organization keys', async () => {
    const created = await cliJson<CreatedKeyJson>(['apikey', 'create', '--global', '--role', 'GLOBAL_READ_ONLY', '--data', data]);
    assert.equal(created.orgId, null);
    assert.deepEqual(created.roles, ['GLOBAL_READ_ONLY']);
    assert.deepEqual(created.accessList, []);
    const global = await cliJson<ApiKey[]>(['apikey', 'list', '--global', '--data', data]);
    assert.deepEqual(
      global.map((k) => [k.id, k.publicKey, k.orgId, k.description]),
      [[created.id, created.publicKey, null, '']],
    );
    assert.deepEqual(await cliJson<ApiKey[]>(['apikey', 'list', '--org', org.id, '--data', data]), []);
  });

  it('replaces and clears an access list', async () => {
    const created = await cliJson<CreatedKeyJson>([
      'apikey',
      'create',
      '--org',
      org.id,
      '--role',
      'ORG_MEMBER',
      '--access-list',
      '10.0.0.1',
      '--data',
      data,
    ]);
    const replaced = await cliJson<ApiKey>([
      'apikey',
      'set-access-list',
      '--id',
      created.id,
      '--access-list',
      '192.0.2.0/24,::ffff:192.0.2.7',
      '--data',
      data,
    ]);
    assert.equal(replaced.id, created.id);
    assert.deepEqual(replaced.accessList, ['192.0.2.0/24', '192.0.2.7']);
    assert.deepEqual((await cliJson<ApiKey[]>(['apikey', 'list', '--org', org.id, '--data', data]))[0]?.accessList, [
      '192.0.2.0/24',
      '192.0.2.7',
    ]);

    const cleared = await cli(['apikey', 'set-access-list', '--id', created.id, '--data', data]);
    assert.deepEqual(cleared, { code: 0, stdout: `API key ${created.publicKey} (${created.id}) access list: (any address)\n`, stderr: '' });
    assert.deepEqual((await cliJson<ApiKey[]>(['apikey', 'list', '--org', org.id, '--data', data]))[0]?.accessList, []);
  });

  it('prints the keys and the "shown once" warning as text', async () => {
    const result = await cli(['apikey', 'create', '--org', org.id, '--role', 'ORG_OWNER', '--data', data]);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    const match =
      /^Created API key ([0-9a-f]{24})\n {2}organization +(\S+)\n {2}roles +ORG_OWNER\n {2}access list +\(any address\)\n {2}public key +([a-z]{8})\n {2}private key +(\S+)\nThe private key will not be shown again: keep it now\.\n$/.exec(
        result.stdout,
      );
    assert.ok(match, result.stdout);
    assert.equal(match[2], org.id);
    assert.equal(await keyAuthenticates(data, match[3] ?? '', match[4] ?? ''), true);
  });

  it('exits 1 with the detail for an unknown organization or key', async () => {
    const missing = '65f0c0ffee0123456789abcd';
    assert.deepEqual(await cli(['apikey', 'create', '--org', missing, '--role', 'ORG_OWNER', '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink apikey create: No organization with ID ${missing} exists.\n`,
    });
    assert.deepEqual(await cli(['apikey', 'list', '--org', missing, '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink apikey list: No organization with ID ${missing} exists.\n`,
    });
    assert.deepEqual(await cli(['apikey', 'set-access-list', '--id', missing, '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink apikey set-access-list: No API key with ID ${missing} exists.\n`,
    });
  });
});
