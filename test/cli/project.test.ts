import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Organization, Project } from '../../src/features/organizations/organization.js';
import { cli, cliJson, inFreshDataDirEachTest, ISO_DATE, OBJECT_ID } from './helpers.js';

describe('livelink project', () => {
  let data = '';
  let org: Organization;
  inFreshDataDirEachTest(async (dir) => {
    data = dir;
    org = await cliJson<Organization>(['org', 'create', '--name', 'Acme', '--data', data]);
  });

  it('creates projects and lists them (--json round trip)', async () => {
    const payments = await cliJson<Project>(['project', 'create', '--org', org.id, '--name', 'Payments', '--data', data]);
    assert.match(payments.id, OBJECT_ID);
    assert.match(payments.createdAt, ISO_DATE);
    assert.deepEqual(payments, { id: payments.id, orgId: org.id, name: 'Payments', createdAt: payments.createdAt });
    const search = await cliJson<Project>(['project', 'create', '--org', org.id.toUpperCase(), '--name', 'Search', '--data', data]);
    assert.equal(search.orgId, org.id);

    assert.deepEqual(
      await cliJson<Project[]>(['project', 'list', '--org', org.id, '--data', data]),
      [payments, search].sort((a, b) => a.id.localeCompare(b.id)),
    );
    const other = await cliJson<Organization>(['org', 'create', '--name', 'Other', '--data', data]);
    assert.deepEqual(await cliJson<Project[]>(['project', 'list', '--org', other.id, '--data', data]), []);
  });

  it('exits 1 with the detail for an unknown organization', async () => {
    const missing = '65f0c0ffee0123456789abcd';
    assert.deepEqual(await cli(['project', 'create', '--org', missing, '--name', 'P', '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink project create: No organization with ID ${missing} exists.\n`,
    });
    assert.deepEqual(await cli(['project', 'list', '--org', missing, '--data', data]), {
      code: 1,
      stdout: '',
      stderr: `livelink project list: No organization with ID ${missing} exists.\n`,
    });
  });

  it('exits 1 with the detail for a duplicate name', async () => {
    await cliJson<Project>(['project', 'create', '--org', org.id, '--name', 'Payments', '--data', data]);
    assert.deepEqual(await cli(['project', 'create', '--org', org.id, '--name', 'Payments', '--data', data]), {
      code: 1,
      stdout: '',
      stderr: 'livelink project create: Project name Payments is already in use.\n',
    });
  });

  it('prints text without --json', async () => {
    assert.deepEqual(await cli(['project', 'list', '--org', org.id, '--data', data]), {
      code: 0,
      stdout: `No projects in organization ${org.id}.\n`,
      stderr: '',
    });
    const created = await cli(['project', 'create', '--org', org.id, '--name', 'Payments', '--data', data]);
    assert.equal(created.code, 0);
    assert.match(
      created.stdout,
      new RegExp(`^Created project [0-9a-f]{24}\\n  name +Payments\\n  organization +${org.id}\\n  created +\\d{4}-.+Z\\n$`),
    );
  });
});
