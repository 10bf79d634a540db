import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Organization } from '../../src/features/organizations/organization.js';
import { cli, cliJson, inFreshDataDirEachTest, ISO_DATE, OBJECT_ID } from './helpers.js';

describe('livelink org', () => {
  let data = '';
  inFreshDataDirEachTest((dir) => {
    data = dir;
  });

  it('creates organizations and lists them (--json round trip)', async () => {
    const acme = await cliJson<Organization>(['org', 'create', '--name', '  Acme Ops Manager  ', '--data', data]);
    assert.match(acme.id, OBJECT_ID);
    assert.match(acme.createdAt, ISO_DATE);
    assert.deepEqual(acme, { id: acme.id, name: 'Acme Ops Manager', requireAccessList: false, createdAt: acme.createdAt });

    const strict = await cliJson<Organization>(['org', 'create', '--name', 'Strict', '--require-access-list', '--data', data]);
    assert.equal(strict.requireAccessList, true);
    assert.equal(strict.name, 'Strict');

    const listed = await cliJson<Organization[]>(['org', 'list', '--data', data]);
    assert.deepEqual(
      listed,
      [acme, strict].sort((a, b) => a.id.localeCompare(b.id)),
    );
  });

  it('turns the access-list requirement on and off', async () => {
    const org = await cliJson<Organization>(['org', 'create', '--name', 'Acme', '--data', data]);
    const on = await cliJson<Organization>(['org', 'set-require-access-list', '--org', org.id, '--on', '--data', data]);
    assert.deepEqual(on, { ...org, requireAccessList: true });
    assert.deepEqual(await cliJson<Organization[]>(['org', 'list', '--data', data]), [{ ...org, requireAccessList: true }]);

    const off = await cli(['org', 'set-require-access-list', '--org', org.id, '--off', '--data', data]);
    assert.deepEqual(off, {
      code: 0,
      stdout: `Organization ${org.id} no longer requires an IP access list on its API keys.\n`,
      stderr: '',
    });
    assert.deepEqual(await cliJson<Organization[]>(['org', 'list', '--data', data]), [org]);
  });

  it('prints text without --json', async () => {
    assert.deepEqual(await cli(['org', 'list', '--data', data]), {
      code: 0,
      stdout: 'No organizations. Create one with `livelink org create --name NAME` or run `livelink init`.\n',
      stderr: '',
    });
    const created = await cli(['org', 'create', '--name', 'Acme', '--data', data]);
    assert.equal(created.code, 0);
    const id = /^Created organization ([0-9a-f]{24})\n/.exec(created.stdout)?.[1] ?? '';
    assert.match(created.stdout, /\n {2}name +Acme\n {2}access list required +no\n {2}created +\d{4}-/);
    const listed = await cli(['org', 'list', '--data', data]);
    assert.match(
      listed.stdout,
      new RegExp(`^ID +NAME +ACCESS LIST REQUIRED +CREATED\\n${id}  Acme  no {20}\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\n$`),
    );
  });

  it('exits 1 with the detail for an unknown organization', async () => {
    const missing = '65f0c0ffee0123456789abcd';
    assert.deepEqual(await cli(['org', 'set-require-access-list', '--org', missing, '--on', '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink org set-require-access-list: No organization with ID ${missing} exists.\n`,
    });
  });

  it('reads the data folder from LIVELINK_DATA_DIR', async () => {
    const viaFlag = await cliJson<Organization>(['org', 'create', '--name', 'Env', '--data', data]);
    const result = await cli(['org', 'list', '--json'], { LIVELINK_DATA_DIR: data, LIVELINK_PORT: 'not used by org list' });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [viaFlag]);
  });
});
